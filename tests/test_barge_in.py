"""Barge-in through the kiosk loop, with the avatar's own voice coming back into the microphone."""

from __future__ import annotations

import time

import numpy as np
import pytest

from runtime.asr.base import ScriptedRecognizer
from runtime.audio.chunk import AudioChunk
from runtime.audio.echo import NullEchoCanceller, WebRtcEchoCanceller
from runtime.audio.room_sim import EchoLoopSource, room_impulse_response
from runtime.audio.sinks import NullSink
from runtime.audio.sources import WavFileSource
from runtime.avatar_view import AvatarView
from runtime.barge_in import BargeInConfig, BargeInDetector, Decision
from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.responder import Responder
from runtime.endpointing import EndpointConfig, Endpointer
from runtime.kiosk import Kiosk
from runtime.listener import Listener
from runtime.renderer.display import HeadlessDisplay
from runtime.speech_output import SpeechOutput
from runtime.vad import SileroVad
from tests.conftest import write_wav

pytestmark = pytest.mark.slow


def _feed(det, t0, frames, prob, mic, far, speaking=True):
    """Feed `frames` 32-ms frames from t0; the decisions made, with the frame index."""
    out = []
    for i in range(frames):
        d = det.frame(t0 + i * 0.032, 0.032, prob, mic, far, speaking or det.paused)
        if d is not None:
            out.append((i, d))
    return out


def test_detector_pauses_fast_confirms_an_interruption_and_resumes_after_a_backchannel():
    cfg = BargeInConfig(initial_coupling_db=-30.0)
    det = BargeInDetector(cfg)
    loud, far = 0.1, 0.3
    # A visitor who goes on talking: paused on the first frame, confirmed once 0.45 s are voiced.
    assert _feed(det, 1.0, 20, 0.9, loud, far) == [(0, Decision.PAUSE), (14, Decision.CONFIRM)]
    assert det.onset == 1.0
    det.reset()
    # "Mm-hm": 0.2 s of speech, then quiet: paused, then the avatar goes on.
    assert _feed(det, 3.0, 6, 0.9, loud, far) == [(0, Decision.PAUSE)]
    assert _feed(det, 3.192, 12, 0.05, 0.001, 0.0) == [(10, Decision.RESUME)]   # 0.35 s of silence
    # The avatar's own voice, as a good echo path leaves it: never even a pause.
    echo_only = far * 10 ** (-36 / 20)
    assert _feed(det, 5.0, 50, 0.9, echo_only, far) == []
    # Not talking over anyone: a normal turn, nothing to decide.
    assert _feed(det, 9.0, 20, 0.9, loud, far, speaking=False) == []


def test_detector_learns_how_much_echo_comes_back_and_never_pauses_for_it():
    det = BargeInDetector(BargeInConfig(initial_coupling_db=-40.0))
    far = 0.3
    # The canceller has not converged: the echo is only 8 dB down. Frames the VAD calls no speech
    # teach the coupling (0.4 s later: the VAD lags a real voice), so the loud ones that follow
    # are not taken for a visitor.
    residual = far * 10 ** (-8 / 20)
    assert _feed(det, 0.0, 20, 0.1, residual, far) == []
    assert det.echo.coupling_db > -9.0
    assert _feed(det, 0.64, 30, 0.9, residual, far) == []
    # A visitor 10 dB above that residual still gets through.
    assert _feed(det, 2.0, 3, 0.9, residual * 10 ** (10 / 20), far)[0][1] is Decision.PAUSE


def test_the_loud_frames_before_the_vad_wakes_up_are_the_visitors_onset_not_echo():
    det = BargeInDetector(BargeInConfig(initial_coupling_db=-30.0))
    far, voice = 0.3, 0.2
    assert _feed(det, 0.0, 20, 0.0, far * 10 ** (-40 / 20), far) == []      # echo well cancelled
    before = det.echo.coupling_db
    assert _feed(det, 0.64, 2, 0.05, voice, far) == []                      # a voice; the VAD not yet sure
    assert _feed(det, 0.704, 1, 0.9, voice, far) == [(0, Decision.PAUSE)]   # paused on the VAD's first frame
    assert det.onset == pytest.approx(0.64)                                  # measured from the real onset
    assert det.echo.coupling_db <= before                                    # and never learned as echo


def test_a_quiet_sound_is_never_confirmed_as_an_interruption():
    det = BargeInDetector(BargeInConfig(initial_coupling_db=-60.0, confirm_level_dbfs=-30.0))
    soft = 10 ** (-38 / 20)                 # over the echo, but softer than someone talking to the kiosk
    decisions = _feed(det, 0.0, 60, 0.9, soft, 0.3)
    assert decisions[0] == (0, Decision.PAUSE) and Decision.CONFIRM not in [d for _, d in decisions]
    assert decisions[-1][1] is Decision.RESUME                          # held at most max_pause_s


def _kiosk(tmp_path, mall_pack_dir, audio, transcripts, piper_en, echo_db=-6.0, aec=True, endpoint=None):
    path = write_wav(tmp_path / "in.wav", audio)
    # Simulated time only (compute time does not leak into it): the same audio gives the same
    # answer timing however busy the machine is.
    inner = WavFileSource(path, paced=False, clock=lambda: 0.0)
    speech_holder = {}
    rng = np.random.default_rng(3)
    source = EchoLoopSource(inner, lambda t, s: speech_holder["speech"].far_audio(t, s),
                            room_impulse_response(rng), gain_db=echo_db,
                            noise=(rng.standard_normal(16000 * 4) * 0.003).astype(np.float32))
    speech = SpeechOutput({"en": piper_en}, NullSink(piper_en.rate), source.now, time.perf_counter)
    speech_holder["speech"] = speech
    kiosk = Kiosk(source, Listener(SileroVad(), ScriptedRecognizer(transcripts), Endpointer(endpoint or EndpointConfig())),
                  Responder(load_content_pack(mall_pack_dir)), speech, AvatarView(HeadlessDisplay(135, 240)),
                  "en", realtime=False, echo=WebRtcEchoCanceller() if aec else NullEchoCanceller())
    run = kiosk.run()
    speech.close()
    return run, speech


def test_the_avatars_own_voice_never_interrupts_it(tmp_path, mall_pack_dir, speak, piper_en):
    audio, _ = speak(["Where is the cinema?"], gap_s=16.0)
    run, _ = _kiosk(tmp_path, mall_pack_dir, audio, ["where is the cinema"], piper_en)
    assert [t["intent"] for t in run.turns] == ["cinema"]
    assert run.barge_ins == []
    assert run.turns[0]["audio_seconds"] > 4          # it finished its answer


def test_a_visitor_talking_over_the_avatar_stops_it_and_is_answered(tmp_path, mall_pack_dir, speak, piper_en):
    question, spans = speak(["Where is the cinema?"], gap_s=2.6)
    interruption, ispans = speak(["No, where can I park my car?"], gap_s=3.0, lead_s=0.0, level=0.8)
    audio = AudioChunk(16000, 2, 1, question.audio + interruption.audio)
    run, speech = _kiosk(tmp_path, mall_pack_dir, audio, ["where is the cinema", "no where can i park my car"],
                         piper_en)
    assert len(run.barge_ins) == 1, run.barge_ins
    event = run.barge_ins[0]
    onset_true = question.seconds + ispans[0][0]
    assert abs(event["onset_ms"] / 1000 - onset_true) < 0.15
    assert event["latency_ms"] <= 200
    assert [t["intent"] for t in run.turns] == ["cinema", "parking"]
    first = run.turns[0]
    assert first["timings"]["heard_until_ms"] <= event["stopped_ms"] + 1       # cut where it stopped
    assert speech.viseme_at(event["stopped_ms"] / 1000 + 0.01) == "sil"       # the mouth closes


def test_an_uh_huh_over_the_avatar_pauses_it_briefly_and_it_finishes_its_answer(tmp_path, mall_pack_dir, speak,
                                                                                 piper_en):
    question, _ = speak(["Where is the cinema?"], gap_s=2.4)
    back, bspans = speak(["Uh huh."], gap_s=12.0, lead_s=0.0, level=0.8)
    audio = AudioChunk(16000, 2, 1, question.audio + back.audio)
    run, speech = _kiosk(tmp_path, mall_pack_dir, audio, ["where is the cinema", "uh huh"], piper_en)
    assert run.barge_ins == [], run.barge_ins
    assert len(run.backchannels) == 1, run.backchannels
    event = run.backchannels[0]
    true_onset = question.seconds + bspans[0][0]          # "uh" starts softly: heard a little later
    assert true_onset - 0.05 <= event["onset_ms"] / 1000 <= true_onset + 0.25
    assert event["latency_ms"] <= 150 and event["held_ms"] < 1000
    assert [t["intent"] for t in run.turns] == ["cinema"]        # the "uh huh" is not a question
    turn = run.turns[0]
    assert turn["cut_at_ms"] is None and turn["paused_ms"] >= event["held_ms"] - 40
    full = sum(s.audio.seconds for s in piper_en.synthesize(turn["spoken"]))
    assert turn["audio_seconds"] == pytest.approx(full, abs=0.05)
    heard = turn["timings"]["heard_until_ms"] - turn["timings"]["heard_from_ms"] - turn["paused_ms"]
    assert heard >= 1000 * full - 20                                          # every word was heard
    assert speech.viseme_at(event["stopped_ms"] / 1000 + 0.05) == "sil"      # mouth shut while it held


def test_a_visitor_who_only_paused_goes_on_over_the_answer_and_the_whole_sentence_is_answered(
        tmp_path, mall_pack_dir, speak, piper_en):
    """An end silence short enough to take a thinking pause for the end: the answer starts, the
    visitor goes on ("… parking?"), the avatar stops at once and answers the whole sentence."""
    warm, _ = speak(["Where is the cinema?"], gap_s=14.0)          # the kiosk has been talking a while
    first, _ = speak(["I need to know"], gap_s=0.75, lead_s=0.0)
    rest, rspans = speak(["where I can park my car."], gap_s=12.0, lead_s=0.0, level=0.8)
    audio = AudioChunk(16000, 2, 1, warm.audio + first.audio + rest.audio)
    run, _ = _kiosk(tmp_path, mall_pack_dir, audio, ["where is the cinema", "i need to know",
                                                      "where i can park my car"], piper_en,
                    endpoint=EndpointConfig(end_silence_s=0.3, quick_end_silence_s=0.3,
                                            hesitation_end_silence_s=0.3))
    assert len(run.barge_ins) == 1 and run.barge_ins[0].get("continuation"), run.barge_ins
    assert run.barge_ins[0]["latency_ms"] <= 150
    last = run.turns[-1]
    assert last["transcript"] == "i need to know where i can park my car" and last["intent"] == "parking"


@pytest.mark.parametrize("heard, interrupts", [
    ("uh huh", False), ("okay yeah", False), ("mm", False), ("嗯嗯", False), ("对对，好的", False), ("", False),
    ("no", True), ("wait", True), ("parking", True), ("where is the cinema", True), ("不是", True),
])
def test_backchannels_are_told_from_words_that_interrupt(heard, interrupts):
    from runtime.backchannel_words import interrupting_words
    assert bool(interrupting_words(heard)) is interrupts
    assert not interrupting_words("the cinema", avatar_text="The cinema is on the third floor.")  # its echo
