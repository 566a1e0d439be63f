"""Thermal: a soak under load (rendering + speech synthesis), temperatures and throttling before, during, after."""

from __future__ import annotations

import threading
import time

import pytest

from firmware_bridge.health import HealthProbe
from runtime.avatar.rig_animator import AvatarMode, Inputs, RigAnimator
from runtime.display.avatar_view import open_rig
from runtime.display.renderer.rig_renderer import RigRenderer


@pytest.mark.thermal
def test_soak_under_full_load(pytestconfig, measure):
    probe = HealthProbe()
    before = probe.sample()
    if not before.temperatures_c:
        pytest.skip("no temperature sensor readable (no sysfs thermal zone, vcgencmd or tegrastats)")
    seconds = pytestconfig.getoption("--soak-seconds")
    stop = threading.Event()

    def synthesise():
        from runtime.composition.backends import make_synthesizer
        from runtime.models.manifest import ModelCatalog
        tts = make_synthesizer(ModelCatalog.load(), "en")
        while not stop.is_set():
            for _ in tts.synthesize("Welcome! The museum opens at nine and closes at five."):
                pass

    worker = threading.Thread(target=synthesise, daemon=True)
    worker.start()
    rig = open_rig(None, 1920)
    renderer, animator, peak, throttled = RigRenderer(rig, 1080, 1920), RigAnimator(rig), before.hottest_c, set()
    end = time.monotonic() + seconds
    next_sample = time.monotonic() + 1.0
    while time.monotonic() < end:
        renderer.draw(animator.step(1 / 60, Inputs(AvatarMode.SPEAKING, "aa")))
        if time.monotonic() >= next_sample:
            sample = probe.sample()
            peak = max(peak, sample.hottest_c or peak)
            if sample.throttling:
                throttled.update(sample.throttling.now)
            next_sample += 1.0
    stop.set()
    worker.join(timeout=30)
    time.sleep(1.0)
    after = probe.sample()
    measure("temperature before", before.hottest_c, "°C")
    measure("temperature after", after.hottest_c or 0.0, "°C")
    measure(f"peak temperature over a {seconds:g} s soak", peak, "°C", "temperature_c_max")
    assert not throttled, f"the board throttled under load: {', '.join(sorted(throttled))}"
