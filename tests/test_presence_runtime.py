"""Presence in the running kiosk: the panel controller says a visitor arrived, the avatar greets and looks."""

from __future__ import annotations

import datetime as dt
import threading
import time

from firmware_bridge.board_inputs import SimulatedInputs
from firmware_bridge.client import PanelBridge
from firmware_bridge.simulator import PtySimulator
from runtime.asr.base import ScriptedRecognizer
from runtime.audio.chunk import AudioChunk
from runtime.audio.sinks import NullSink
from runtime.audio.sources import WavFileSource
from runtime.composition.config import DEFAULT_CONTENT
from runtime.composition.panel_session import PanelSession
from runtime.conversation.kiosk import Kiosk
from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.responder import Responder
from runtime.display.avatar_view import AvatarView
from runtime.display.renderer.display import HeadlessDisplay
from runtime.listening.front_end import AudioFrontEnd
from runtime.listening.listener import Listener
from runtime.listening.vad import EnergyVad
from runtime.speaking.speech_output import SpeechOutput
from runtime.surroundings.presence import PresenceConfig, PresencePolicy
from runtime.tts.base import ToneSynthesizer
from runtime.turn_taking.endpointing import Endpointer
from tests.conftest import write_wav


class _ScriptedSource(WavFileSource):
    """Runs `actions[t]` once input time passes t (fast mode), before that chunk is handed on (an
    action waits for what it starts on other threads to land)."""

    def __init__(self, path, actions: dict[float, callable]):
        super().__init__(path, paced=False, trailing_silence=0.5)
        self._actions = dict(actions)

    def chunks(self):
        for chunk in super().chunks():
            for at in [a for a in self._actions if chunk.timestamp >= a]:
                self._actions.pop(at)()
            yield chunk


def test_a_visitor_arriving_is_greeted_looked_at_and_the_panel_set_up(tmp_path):
    sim = PtySimulator()
    bridge = PanelBridge(sim.path)
    assert bridge.connected.wait(5)
    inputs = SimulatedInputs()
    policy = PresencePolicy(PresenceConfig(schedule=(("00:00", 70),), attract_after_s=1e6))
    panel = PanelSession(policy, lambda: dt.time(12, 0), bridge=bridge, inputs=inputs)
    # the controller's event crosses the pty to the bridge's reader thread, which queues it for the
    # loop (panel_session.py _on_panel_event): the 1.0 s chunk goes on only once it is queued
    queued = threading.Event()
    to_panel = bridge.on_event
    bridge.on_event = lambda message: (to_panel(message), queued.set())

    def visitor_arrives():
        sim.send_presence(True, 800)
        assert queued.wait(20), "the controller's presence event never reached the bridge"
    silence = write_wav(tmp_path / "quiet.wav", AudioChunk.silence(6.0, 16000))
    source = _ScriptedSource(silence, {1.0: visitor_arrives,
                                       3.0: lambda: inputs.set_presence(False),
                                       3.5: lambda: inputs.set_presence(True)})
    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), source.now, time.perf_counter)
    view = AvatarView(HeadlessDisplay(135, 240))
    kiosk = Kiosk(source, AudioFrontEnd(EnergyVad()), Listener(ScriptedRecognizer([]), Endpointer()),
                  Responder(load_content_pack(DEFAULT_CONTENT)), speech, view, "en", realtime=False,
                  panel=panel)
    try:
        run = kiosk.run()
        # Both are finished on other threads after the loop's decision, and the run does not wait for
        # them: the greeting is synthesised and handed to the sink by the speech worker (busy_until
        # moves then), and mode and brightness are sent fire-and-forget (firmware_bridge/client.py
        # send) for the controller to take in on its own thread. Wait for both before reading them.
        deadline = time.monotonic() + 20
        while not (speech.busy_until() > 1.0 and (sim.model.state.brightness, sim.model.state.mode) == (70, 1)) \
                and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        speech.close()
        bridge.close()
    state = sim.model.state
    sim.close()
    [greeting] = run.greetings          # the return within the cooldown is not greeted twice
    assert greeting["kind"] == "greet" and 1000 <= greeting["t_ms"] <= 1500
    assert greeting["text"].startswith("Hello! I am the digital guide")
    assert speech.busy_until() > 1.0 and kiosk.view.visitor_x == 0.0
    assert (state.brightness, state.mode) == (70, 1)


def test_a_throttling_board_lowers_the_frame_rate_then_recovers():
    from firmware_bridge.health import HealthSample, Throttling
    from runtime.surroundings.presence import FrameRateGovernor

    class FakeProbe:
        throttled = True

        def sample(self):
            return HealthSample({"cpu": 81.0}, Throttling(("throttled",) if self.throttled else (), ()))

    probe = FakeProbe()
    panel = PanelSession(PresencePolicy(), lambda: dt.time(12, 0), health=probe,
                         governor=FrameRateGovernor(base_fps=30, recover_after_s=1.0))
    deadline = time.monotonic() + 20          # the watcher thread's first sample, on a loaded machine
    while not panel.throttled and time.monotonic() < deadline:
        time.sleep(0.01)
    for t in range(5):
        panel.poll(float(t))
    assert panel.fps < 30
    probe.throttled = False
    panel.throttled = False   # the watcher samples every 5 s; the next sample is what it would read
    for t in range(5, 40):
        panel.poll(float(t))
    assert panel.fps == 30
    panel.close()
