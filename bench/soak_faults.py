"""The faults a soak injects into a running kiosk, and the world they need: a private Mosquitto, the
fleet agent embedded in the kiosk, the panel controller simulator on a pty, a signed content bundle
installed and a corrupt one to push. Used by `bench/soak.py` (file-driven, fast) and
`bench/live_soak.py` (real microphone and speaker, real time); each fault records how it was recovered.

    rig = FaultRig(folder)                      # broker up, bundles built, content installed
    cfg = rig.kiosk_config(KioskConfig(...))    # the installed content, the controller's port
    rig.attach(kiosk)                           # in on_ready: the fleet agent starts
    rig.run("broker restart")                   # blocks until recovered (or given up)
    rig.close(report)                           # -> {"broker restart": "agent reconnected", ...}
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Callable

MALL = Path(__file__).resolve().parents[2] / "shared" / "venues" / "mall-demo"
FLEET_FAULTS = ("broker restart", "controller reboot", "corrupt content push", "recogniser crash")


class FaultRig:
    def __init__(self, folder: Path):
        from firmware_bridge.simulator import PtySimulator
        from fleet.bundle_builder import build_bundle
        from fleet.bundle_keys import TrustedKeys, generate_keypair
        from fleet.bundle_verifier import BundleVerifier
        from fleet.health_check import SelfTestHealthCheck
        from fleet.installer import BundleInstaller
        from tests.mosquitto import free_port, mosquitto
        from tests.rights_fixtures import original_record, with_rights

        self.folder = folder
        key, self._pub = generate_keypair(folder / "admin")
        self.data = folder / "data"
        good = folder / "mall.bundle"
        build_bundle(with_rights(MALL, folder / "mall", "content", "mall-demo"), "content", "1.0.0", key, good)
        BundleInstaller(self.data, BundleVerifier(TrustedKeys.from_files([self._pub])),
                        SelfTestHealthCheck()).install(good, "0" * 64, "content",
                                                       datetime.datetime.now(datetime.timezone.utc))
        broken_src = folder / "broken"
        broken_src.mkdir()
        (broken_src / "faq.yaml").write_text("venue: {id: broken}\nintents: [oops\n")
        (broken_src / "rights.yaml").write_text(original_record("content", "broken"))   # fails its self-test, not rights
        self._broken = folder / "broken.bundle"
        build_bundle(broken_src, "content", "2.0.0", key, self._broken)
        self._port = free_port()
        self.url = f"mqtt://127.0.0.1:{self._port}"
        self.controller = PtySimulator()
        self._broker_dir = folder / "broker"
        self._broker_dir.mkdir()
        self._mosquitto = mosquitto
        self._broker = mosquitto(self._broker_dir, self._port)
        self._broker.__enter__()
        self.faults: dict[str, str] = {}
        self.kiosk = None
        self.agent = None

    def kiosk_config(self, cfg):
        from dataclasses import replace

        from runtime.composition.fleet_link import installed_config
        return installed_config(replace(cfg, panel_port=self.controller.path), self.data)

    def attach(self, kiosk) -> None:
        """Called from the kiosk's on_ready: the fleet agent runs inside the kiosk, as in the product."""
        from fleet.agent import MqttAgent
        from fleet.agent_core import Identity
        from fleet.broker import BrokerConfig
        from fleet.bundle_keys import TrustedKeys
        from fleet.health_check import SelfTestHealthCheck
        from runtime.composition.fleet_link import KioskControl

        self.kiosk = kiosk
        control = KioskControl(kiosk, self.data)
        self.agent = MqttAgent(Identity("soak", ("soak",)), BrokerConfig.from_args(self.url), self.data,
                               TrustedKeys.from_files([self._pub]), control, SelfTestHealthCheck(),
                               on_installed=control.installed)
        self.agent.start()

    def injector(self, name: str) -> Callable[[], None]:
        return {"broker restart": self.restart_broker, "controller reboot": self.reboot_controller,
                "corrupt content push": self.push_corrupt, "recogniser crash": self.crash_recogniser}[name]

    def run(self, name: str) -> None:
        self.injector(name)()

    def restart_broker(self) -> None:
        before = self.agent.core.session
        self._broker.__exit__(None, None, None)
        time.sleep(1.0)
        self._broker = self._mosquitto(self._broker_dir, self._port)
        self._broker.__enter__()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.agent.core.session == before:
            time.sleep(0.2)
        self.faults["broker restart"] = ("agent reconnected" if self.agent.core.session > before
                                         else "agent not reconnected")

    def push_corrupt(self) -> None:
        from fleet.admin import FleetAdmin
        from fleet.broker import BrokerConfig
        with FleetAdmin(BrokerConfig.from_args(self.url)) as admin:
            admin.discover(expect=1, timeout=30)
            offer = admin.publish_bundle(self._broken)
            admin.update_desired(("device", "soak"), bundles={"content": offer})
            rec = admin.wait_for_installs(["soak"], offer.bundle_id, 120)["soak"]
            self.faults["corrupt content push"] = f"{rec.get('state')} ({rec.get('reason', '')})"

    def reboot_controller(self) -> None:
        model = self.controller.model
        wanted = (model.state.brightness, model.state.mode)
        boots = model.boots
        self.controller.reboot()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if model.boots > boots and (model.state.brightness, model.state.mode) == wanted:
                self.faults["controller reboot"] = "panel set up again"
                return
            time.sleep(0.1)
        self.faults["controller reboot"] = f"not set up again: {model.state}"

    def crash_recogniser(self) -> None:
        """The recogniser's engine raises on the next chunk of audio it is given."""
        def inject():
            asr = self.kiosk.listener.recognizer
            engine, real_accept = asr._inner, asr._inner.accept

            def accept(chunk):
                engine.accept = real_accept
                raise RuntimeError("decoder crashed (injected)")
            engine.accept = accept
        self.kiosk.post(inject)
        self.faults["recogniser crash"] = "injected"

    def close(self, report: dict) -> dict:
        """Stop the agent, broker and controller; judge the recogniser's recovery from the report."""
        session = self.agent.core.session if self.agent else 0
        if self.agent is not None:
            self.agent.stop()
        self._broker.__exit__(None, None, None)
        self.controller.close()
        asr = report["stages"]["asr"]
        if "recogniser crash" in self.faults:
            self.faults["recogniser crash"] = ("rebuilt in place" if asr["up"] and asr["restarts"] >= 1
                                               else f"not rebuilt: {asr}")
        return {"faults": dict(self.faults), "agent_sessions": session,
                "content_after": report["content"]["venue"]}
