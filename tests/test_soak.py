"""A short soak in CI (bench/soak.py runs the long one): spoken turns with the fleet agent embedded,
the broker restarted, the panel controller rebooted, a corrupt content bundle pushed and the recogniser
crashed on the way. Nothing lost, nothing leaked,
every fault recovered. (Memory growth is judged by the long run: a dozen turns are still warm-up.)"""

from __future__ import annotations

import shutil

import pytest

from bench.soak import MALL, run_soak

pytestmark = pytest.mark.slow


def test_a_short_soak_loses_nothing_and_recovers_from_every_fault(tmp_path):
    if not (MALL / "faq.yaml").exists():
        pytest.fail(f"{MALL}: the shared mall-demo pack must sit beside the checkout")
    r = run_soak(tmp_path, turns=12)
    assert r["turns_answered"] + r["turns_unheard"] == 12 and r["turns_unheard"] <= 1, r
    assert r["log_lines"] == r["turns_answered"]
    assert r["faults"]["controller reboot"] == "panel set up again"
    assert r["faults"]["recogniser crash"] == "rebuilt in place"
    assert r["faults"]["broker restart"] == "agent reconnected" and r["agent_sessions"] >= 2
    assert r["faults"]["corrupt content push"] == "rejected (health-check-failed)"
    assert r["content_after"] == "mall-demo"                  # still answering from the good pack
    assert r["threads"]["end"] <= r["threads"]["after_warm_up"]
    assert r["fds"]["end"] <= r["fds"]["after_warm_up"] + 2


@pytest.mark.skipif(shutil.which("pulseaudio") is None or shutil.which("paplay") is None,
                    reason="needs pulseaudio and pulseaudio-utils (make test installs them)")
def test_a_short_live_soak_answers_across_a_lost_and_returned_sound_card(tmp_path):
    """Real microphone and speaker (PortAudio on a private PulseAudio), real time; the sound server
    is killed and restarted between turns, and the fleet faults happen while visitors speak; every
    question gets its reply, nothing leaks."""
    from bench.live_soak import run_live_soak
    r = run_live_soak(tmp_path, turns=8, losses=1)
    assert r["audio_losses"] == 1 and r["unanswered_turns"] == [], r
    assert r["faults"]["audio device loss"] == "1/1 next questions answered"
    assert r["faults"]["controller reboot"] == "panel set up again"
    assert r["faults"]["recogniser crash"] == "rebuilt in place"
    assert r["faults"]["broker restart"] == "agent reconnected"
    assert r["faults"]["corrupt content push"] == "rejected (health-check-failed)"
    # the visitor right after the crash is told it cannot hear; on a loaded machine the rebuild can
    # take long enough that the next one is too
    assert r["turns_answered"] + r["turns_unheard"] == 8 and 1 <= r["turns_unheard"] <= 2
    assert r["log_lines"] == r["turns_answered"] and r["content_after"] == "mall-demo"
    # a leak is a trend over many turns, not one thread: a thread that started late for good (CI once
    # ended on 30 after 29 at warm-up on a loaded machine) is allowed once; threads climbing turn after
    # turn are not (one per turn or per fault is a trend of 0.8 or more)
    assert r["threads"]["end"] <= r["threads"]["after_warm_up"] + 1, r["threads"]
    assert r["threads"]["trend_per_turn"] < 0.5, r["threads"]
    assert r["fds"]["end"] <= r["fds"]["after_warm_up"] + 2


def test_the_thread_trend_tells_a_leak_from_one_late_thread():
    from bench.live_soak import thread_trend
    assert thread_trend([29, 29, 29, 30, 30, 30, 30]) < 0.5           # one thread that started late
    assert thread_trend([29, 31, 29, 29, 30, 29, 29]) == 0.0           # threads passing through a sample
    assert thread_trend([29, 30, 31, 32, 33, 34, 35]) == 1.0           # one more every turn: a leak
    assert thread_trend([29, 30, 30, 31, 32, 32, 33]) >= 0.5           # one per fault, most turns
