"""Barge-in through the kiosk loop, with the avatar's own voice coming back into the microphone."""

from __future__ import annotations

import time

import numpy as np
import pytest

from runtime.asr.base import ScriptedRecognizer
from runtime.audio.chunk import AudioChunk
from runtime.audio.echo import NullEchoCanceller, WebRtcEchoCanceller
from runtime.audio.frame import AudioFrame
from runtime.audio.linear_echo import make_linear_echo
from runtime.audio.room_sim import EchoLoopSource, room_impulse_response
from runtime.audio.sinks import NullSink
from runtime.audio.sources import WavFileSource
from runtime.conversation.kiosk import Kiosk
from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.responder import Responder
from runtime.display.avatar_view import AvatarView
from runtime.display.renderer.display import HeadlessDisplay
from runtime.listening.front_end import AudioFrontEnd
from runtime.listening.listener import Listener
from runtime.listening.vad import SileroVad
from runtime.speaking.speech_output import SpeechOutput
from runtime.tts.base import ToneSynthesizer
from runtime.turn_taking.barge_in import BargeInConfig, BargeInDetector, Decision
from runtime.turn_taking.barge_in_control import BargeInControl
from runtime.turn_taking.endpointing import EndpointConfig, Endpointer
from runtime.turn_taking.events import TurnEnd
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
    # A visitor who goes on talking: paused on the first frame, confirmed once 0.7 s are voiced.
    assert _feed(det, 1.0, 30, 0.9, loud, far) == [(0, Decision.PAUSE), (21, Decision.CONFIRM)]
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


def test_a_burst_of_the_crowd_behind_the_visitor_does_not_pause_the_avatar():
    # The hall's floor in the cleaned microphone is -51 dBFS; a voice in the crowd reaches -35
    # (the VAD is sure it is speech, and the avatar is quiet there): not someone at the kiosk.
    det = BargeInDetector(BargeInConfig(initial_coupling_db=-30.0))
    crowd, visitor, far = 10 ** (-35 / 20), 10 ** (-25 / 20), 0.02
    assert [det.frame(1.0 + i * 0.032, 0.032, 0.97, crowd, far, True, floor_db=-51.0) for i in range(8)] == [None] * 8
    assert not det.paused
    # Someone at the kiosk stands 26 dB over that floor: paused on the first frame.
    assert det.frame(1.5, 0.032, 0.97, visitor, far, True, floor_db=-51.0) is Decision.PAUSE
    # Without a known floor (no level gate) the crowd's voice pauses it, as before.
    det = BargeInDetector(BargeInConfig(initial_coupling_db=-30.0))
    assert det.frame(1.0, 0.032, 0.97, crowd, far, True) is Decision.PAUSE


def test_a_quiet_sound_is_never_confirmed_as_an_interruption():
    det = BargeInDetector(BargeInConfig(initial_coupling_db=-60.0, confirm_level_dbfs=-30.0))
    soft = 10 ** (-38 / 20)                 # over the echo, but softer than someone talking to the kiosk
    decisions = _feed(det, 0.0, 70, 0.9, soft, 0.3)
    assert decisions[0] == (0, Decision.PAUSE) and Decision.CONFIRM not in [d for _, d in decisions]
    assert decisions[-1][1] is Decision.RESUME                          # held at most max_pause_s


class _TalkingAvatar:
    """SpeechOutput's face towards barge-in: an answer playing until 10 s, at a steady level."""

    def __init__(self):
        self.paused, self.calls = False, []

    def busy_until(self):
        return 10.0

    def far_level(self, t, window):
        return 0.3

    def said_between(self, t0, t1):
        return "The cinema is on the third floor."

    def pause(self, now):
        self.paused = True
        self.calls.append("pause")
        return now

    def resume(self, now):
        self.paused = False
        self.calls.append("resume")

    def interrupt(self, now):
        self.calls.append("interrupt")


@pytest.mark.parametrize("transcript, interrupting", [
    ("stop", True), ("uh huh", False), ("the cinema", False),
    ("what what is parking or", True),     # pocketsphinx's "Wait, how much is parking?": a venue question
    ("what is the cinema", False),         # ...but not one made of the avatar's own words
    ("member", False),                     # nor one word the recogniser made of a hum
])
def test_a_turn_that_ends_while_the_avatar_is_paused_is_judged_by_its_words(transcript, interrupting):
    """"Stop." is too short for the duration rule, and its turn can end (0.32 s of silence after a
    complete-sounding phrase) before the detector's 0.35 s release asks for its words: the ended
    turn's words decide: a cue word, two words of meaning, or a question the venue answers. A
    backchannel, or the avatar's own words, leave it paused to resume."""
    from runtime.turn_taking.barge_in_control import BargeInControl
    avatar = _TalkingAvatar()
    control = BargeInControl(BargeInConfig(initial_coupling_db=-30.0), avatar,
                             asks=lambda words: any(w in words for w in ("parking", "cinema", "member")))
    for i in range(6):                                  # 0.19 s of a voice over the avatar
        control.frame(AudioFrame.from_clean(AudioChunk.from_float(np.full(512, 0.1, np.float32), 16000, 2.0 + i * 0.032), 0.9), 0.0)
    assert avatar.calls == ["pause"]
    decided = control.judge_turn(TurnEnd(transcript, 2.0, 2.3, 2.6, 2.6, 0.3), now=0.0)
    assert (decided is Decision.CONFIRM) is interrupting
    assert avatar.calls == (["pause", "interrupt"] if interrupting else ["pause"])
    assert [e["decided_ms"] for e in control.barge_ins] == ([2600] if interrupting else [])


class _ResidualDouble:
    """A linear echo filter that leaves `level` of whatever it is given."""
    name = "double"

    def __init__(self) -> None:
        self.level = 0.01

    def residual_rms(self, mic, far):
        return self.level


class _CleanedDouble:
    """An echo canceller that hands back the cleaned chunk the test sets."""
    name = "double"

    def __init__(self) -> None:
        self.cleaned = None

    def far(self, chunk) -> None:
        pass

    def near(self, chunk):
        return self.cleaned


class _NoSpeechVad:
    name, frame_samples = "none", 512

    def speech_probability(self, frame: bytes) -> float:
        return 0.0

    def reset(self) -> None:
        pass


@pytest.mark.parametrize("raw_peak,raw_level,residual,expected", [
    (0.5, 0.3, 0.2, Decision.PAUSE),      # not clipped: the residual jumped 26 dB, AEC3 let something by
    (1.0, 0.8, 0.1, None),                # clipped, the residual 18 dB under the raw level: the echo's distortion
    (1.0, 0.8, 0.5, Decision.PAUSE),      # clipped, the residual 4 dB under it: a voice on top of the avatar's
])
def test_a_residual_jump_where_the_microphone_clipped_is_not_a_visitor(raw_peak, raw_level, residual, expected):
    now = [0.0]
    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), lambda: now[0], time.perf_counter)
    try:
        # handed to the sink on the speech worker's thread: a generous bound, only a failure waits it out
        assert speech.say("The cinema is on the third floor, next to the food court.", "en").done.wait(30)
        linear, echo = _ResidualDouble(), _CleanedDouble()
        front_end = AudioFrontEnd(_NoSpeechVad(), echo=echo, linear=linear)
        control = BargeInControl(BargeInConfig(initial_coupling_db=-30.0), speech)
        far = np.zeros(512, np.float32)

        def frame(t: float, raw_peak: float, cleaned: float, raw_level: float = 0.3):
            raw = np.full(512, raw_level, np.float32)
            raw[100] = raw_peak
            echo.cleaned = AudioChunk.from_float(np.full(512, cleaned, np.float32), 16000, t)
            return control.frame(front_end.process(AudioChunk.from_float(raw, 16000, t), far), t + 0.032)

        for i in range(30):                                 # ~1 s of the avatar alone: residual -40 dBFS
            assert frame(i * 0.032, 0.3, 10 ** (-72 / 20)) is None
        # The residual jumps and AEC3 lets something by (-50 dBFS): a visitor's first syllable —
        # unless the raw microphone hit full scale there and the filter still took most of it out:
        # the echo path was not linear, the jump is the echo's distortion.
        linear.level = residual
        assert frame(0.96, raw_peak, 10 ** (-50 / 20), raw_level) is expected
    finally:
        speech.close()


def test_the_speex_linear_filter_removes_echo_and_leaves_a_voice_standing(speak):
    from runtime.audio.linear_echo import make_linear_echo
    linear = make_linear_echo()
    assert linear is not None, "libspeexdsp1 (apt) is a dependency"
    far_chunk, _ = speak(["The cinema is on the third floor, next to the food court. Enjoy the film!"] * 2,
                         gap_s=0.1, lead_s=0.0)
    far = far_chunk.float_samples()
    rir = room_impulse_response(np.random.default_rng(5))
    echo = np.convolve(far, rir)[:far.size] * 0.5
    visitor, _ = speak(["Wait, where is the toilet?"], gap_s=0.0, lead_s=0.0)
    v = visitor.float_samples()
    at = far.size - v.size - 8000
    mic = echo.copy()
    mic[at:at + v.size] += 0.5 * v
    levels = []
    for i in range(0, far.size - 512, 512):
        chunk = AudioChunk.from_float(np.clip(mic[i:i + 512], -1, 1), 16000, i / 16000)
        levels.append((i, linear.residual_rms(chunk, far[i:i + 512])))
    db = lambda r: 20 * np.log10(max(r, 1e-6))  # noqa: E731
    echo_db = 20 * np.log10(np.sqrt(np.mean(echo[at - 48000:at] ** 2)))
    left_db = 20 * np.log10(np.sqrt(np.mean([r ** 2 for i, r in levels if at - 48000 <= i < at - 512])))
    assert echo_db - left_db >= 10, (echo_db, left_db)       # it converged and took echo out
    onset = [db(r) for i, r in levels if at <= i < at + 4 * 512]
    assert max(onset) - max(db(r) for i, r in levels if at - 16000 <= i < at - 512) >= 6   # the voice stands out


def _kiosk(tmp_path, mall_pack_dir, audio, transcripts, piper_en, echo_db=-6.0, aec=True, endpoint=None,
           linear=False, barge_in=BargeInConfig()):
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
    front_end = AudioFrontEnd(SileroVad(), echo=WebRtcEchoCanceller() if aec else NullEchoCanceller(),
                              linear=make_linear_echo() if linear and barge_in is not None else None)
    kiosk = Kiosk(source, front_end, Listener(ScriptedRecognizer(transcripts), Endpointer(endpoint or EndpointConfig())),
                  Responder(load_content_pack(mall_pack_dir)), speech, AvatarView(HeadlessDisplay(135, 240)),
                  "en", realtime=False, barge_in=barge_in)
    run = kiosk.run()
    speech.close()
    return run, speech


@pytest.mark.parametrize("echo_db", [-6.0, 0.0])
def test_the_avatars_own_voice_never_interrupts_it(tmp_path, mall_pack_dir, speak, piper_en, echo_db):
    audio, _ = speak(["Where is the cinema?"], gap_s=16.0)
    run, _ = _kiosk(tmp_path, mall_pack_dir, audio, ["where is the cinema"], piper_en, echo_db=echo_db, linear=True)
    assert [t["intent"] for t in run.turns] == ["cinema"]
    assert run.barge_ins == [] and run.backchannels == []     # not even a pause
    assert run.turns[0]["audio_seconds"] > 4          # it finished its answer


@pytest.mark.parametrize("linear", [False, True], ids=["vad-onset", "linear-filter-onset"])
def test_a_visitor_talking_over_the_avatar_stops_it_and_is_answered(tmp_path, mall_pack_dir, speak, piper_en, linear):
    question, spans = speak(["Where is the cinema?"], gap_s=2.6)
    interruption, ispans = speak(["No, where can I park my car?"], gap_s=3.0, lead_s=0.0, level=0.8)
    audio = AudioChunk(16000, 2, 1, question.audio + interruption.audio)
    run, speech = _kiosk(tmp_path, mall_pack_dir, audio, ["where is the cinema", "no where can i park my car"],
                         piper_en, linear=linear)
    assert len(run.barge_ins) == 1, run.barge_ins
    event = run.barge_ins[0]
    onset_true = question.seconds + ispans[0][0]
    assert abs(event["onset_ms"] / 1000 - onset_true) < 0.15
    stopped_after = event["stopped_ms"] / 1000 - onset_true       # from the true onset (simulated time)
    assert stopped_after <= (0.15 if linear else 0.2), stopped_after
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
    assert last["continues"] and not any(t["continues"] for t in run.turns[:-1])   # the report says which
    cut = [t for t in run.turns if t["timings"]["speech_start_ms"] == last["timings"]["speech_start_ms"]]
    assert [t["transcript"] for t in cut] == ["i need to know", last["transcript"]]


@pytest.mark.parametrize("heard, interrupting", [
    ("uh huh", False), ("okay yeah", False), ("mm", False), ("嗯嗯", False), ("对对，好的", False), ("", False),
    ("an atm", False), ("i how", False), ("an man", False),        # pocketsphinx's words for mhm, uh-huh, mm
    ("hey", False),                                                 # ...and for "okay"
    ("no", True), ("know", True), ("wait", True), ("sorry", True), ("parking please", True),
    ("where is the cinema", False),         # words alone do not say: its length (0.7 s voiced) or
                                            # the venue answering it (`BargeInControl.asks`) decides
    ("where is the cinema exit", True), ("不是", True), ("等一下", True), ("停车场在哪", True),
])
def test_backchannels_are_told_from_words_that_interrupt(heard, interrupting):
    from runtime.turn_taking.backchannel_words import interrupts
    assert interrupts(heard) is interrupting
    assert not interrupts("the cinema floor", avatar_text="The cinema is on the third floor.")  # its echo


def test_barge_in_control_acts_on_any_interruption_judge():
    """The judgement sits behind `InterruptionJudge`: a scripted one pauses, resumes and confirms the
    avatar through the same control, and the backchannel it resumed from is recorded once final."""
    from runtime.ops.event_recorder import EventKind, EventRecorder
    from runtime.turn_taking.barge_in_control import BargeInControl
    from runtime.turn_taking.judges import ScriptedInterruptions
    avatar, events = _TalkingAvatar(), EventRecorder()
    judge = ScriptedInterruptions([Decision.PAUSE, None, Decision.RESUME, None, Decision.PAUSE, Decision.CONFIRM],
                                  onset=2.0)
    control = BargeInControl(BargeInConfig(), avatar, events, judge=judge)
    decisions = [control.frame(AudioFrame.from_clean(
        AudioChunk.from_float(np.full(512, 0.1, np.float32), 16000, 2.0 + i * 0.032), 0.9), 0.0) for i in range(6)]
    assert decisions == [Decision.PAUSE, None, Decision.RESUME, None, Decision.PAUSE, Decision.CONFIRM]
    assert avatar.calls == ["pause", "resume", "pause", "interrupt"]
    control.flush()
    assert events.counts[EventKind.BACKCHANNEL] == 0     # the second pause came at once: the same visitor
    assert len(control.barge_ins) == 1
