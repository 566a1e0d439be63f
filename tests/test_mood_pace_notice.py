"""The mood's pace is heard (a distressed visitor's answer is spoken slower, by the real voices) and a
call for staff is seen (the "staff is coming" notice is drawn over the avatar, read from the frames)."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pygame
import pytest

from runtime.asr.base import ScriptedRecognizer
from runtime.audio.chunk import AudioChunk
from runtime.audio.sinks import NullSink
from runtime.audio.sources import WavFileSource
from runtime.avatar.rig_animator import AvatarMode
from runtime.conversation.kiosk import Kiosk
from runtime.conversation.mood_link import STAFF_COMING, staff_notice
from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.responder import Responder
from runtime.display.avatar_view import AvatarView
from runtime.display.renderer.display import HeadlessDisplay
from runtime.display.renderer.notice import BOX
from runtime.listening.front_end import AudioFrontEnd
from runtime.listening.listener import Listener
from runtime.listening.vad import EnergyVad
from runtime.mood.labels import Mood
from runtime.mood.style import style_for
from runtime.mood.tracker import TurnMood
from runtime.speaking.speech_output import SpeechOutput
from runtime.shared.errors import EdgeAvatarError
from runtime.tts.base import ToneSynthesizer
from runtime.turn_taking.endpointing import Endpointer
from tests.conftest import write_wav


class PaceLog(ToneSynthesizer):
    """The tone test double, remembering the pace of every answer it speaks."""

    def __init__(self):
        super().__init__()
        self.paces: list[tuple[str, float]] = []

    def synthesize(self, text, pace=1.0):
        self.paces.append((text, pace))
        yield from super().synthesize(text, pace)


def _tones(tmp_path, count: int):
    tone = AudioChunk.from_float(0.3 * np.ones(16000, dtype=np.float32), 16000)
    gap = AudioChunk.silence(2.0, 16000)
    audio = AudioChunk(16000, 2, 1, gap.audio + b"".join(tone.audio + gap.audio for _ in range(count)))
    return write_wav(tmp_path / "turns.wav", audio)


def _kiosk(tmp_path, pack_dir, said: list[str], voice, frames=None):
    source = WavFileSource(_tones(tmp_path, len(said)), paced=False)
    speech = SpeechOutput({"en": voice}, NullSink(16000), source.now, time.perf_counter)
    view = AvatarView(HeadlessDisplay(135, 240), frames_dir=frames, frame_every_s=0.5)
    kiosk = Kiosk(source, AudioFrontEnd(EnergyVad()), Listener(ScriptedRecognizer(said), Endpointer()),
                  Responder(load_content_pack(pack_dir)), speech, view, "en", realtime=False)
    return kiosk, speech, view


def test_a_distressed_visitors_answer_is_spoken_slower(mall_pack_dir, tmp_path):
    """Through the kiosk: the distress turn's answer is synthesised at the mood's pace (0.85), a plain
    one at the voice's own, and the slower answer lasts longer per character."""
    voice = PaceLog()
    kiosk, speech, _ = _kiosk(tmp_path, mall_pack_dir,
                              ["where are the toilets", "please help me i'm scared, where are the toilets"], voice)
    run = kiosk.run()
    speech.close()
    assert [t["mood"] for t in run.turns] == ["neutral", "distress"], run.turns
    answers = [(text, pace) for text, pace in voice.paces if "restrooms" in text]
    # the first answer at the voice's own pace; the second (its speculation, if any, is dropped) at the mood's
    assert answers[0][1] == 1.0 and answers[-1][1] == style_for(Mood.DISTRESS).pace == 0.85, voice.paces
    assert answers[-1][0].startswith("I'm here to help.")
    per_char = [t["audio_seconds"] / len(t["spoken"]) for t in run.turns]
    assert per_char[1] > per_char[0] * 1.1, per_char


def test_a_pace_out_of_range_is_refused_with_a_clear_error():
    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), lambda: 0.0, time.perf_counter)
    try:
        with pytest.raises(EdgeAvatarError, match="pace 3.0: expected 0.5 to 2.0"):
            speech.say("hello", "en", pace=3.0)
    finally:
        speech.close()


def _seconds(segments) -> float:
    return sum(len(s.audio.float_samples()) / s.audio.rate for s in segments)


def test_the_real_english_voice_speaks_slower_at_a_slower_pace(piper_en):
    text = "The toilets are on the second floor, next to the lifts."
    own, slower = list(piper_en.synthesize(text)), list(piper_en.synthesize(text, 0.85))
    assert _seconds(slower) > _seconds(own) * 1.05, (_seconds(own), _seconds(slower))   # with Piper's fixed pauses
    spoken = [sum(p.end - p.start for s in segs for p in (s.phonemes or ()) if p.phoneme.strip()) for segs in (own, slower)]
    # the phonemes themselves (and their times, for lip sync); joe-medium's durations grow ~9 % at 0.85
    assert spoken[0] > 0 and spoken[1] > spoken[0] * 1.05, spoken


def test_the_real_mandarin_voice_speaks_slower_at_a_slower_pace(catalog):
    from runtime.composition.backends import describe_synthesizer, make_synthesizer
    if describe_synthesizer(catalog, "zh")[0] != "kokoro":
        pytest.skip("the Kokoro voice is not installed (scripts/setup.sh installs it)")
    voice = make_synthesizer(catalog, "zh")
    text = "洗手间在二楼电梯旁边。"
    own, slower = _seconds(voice.synthesize(text)), _seconds(voice.synthesize(text, 0.85))
    assert slower > own * 1.1, (own, slower)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng comes from apt (scripts/setup.sh)")
def test_the_fallback_voice_speaks_slower_at_a_slower_pace():
    from runtime.tts.espeak_tts import EspeakSynthesizer
    voice = EspeakSynthesizer("en")
    text = "The toilets are on the second floor."
    assert _seconds(voice.synthesize(text, 0.8)) > _seconds(voice.synthesize(text)) * 1.1


# -- the notice on screen ----------------------------------------------------------------------------

def _box_pixels(surface: pygame.Surface) -> int:
    rgb = pygame.surfarray.array3d(surface)
    return int(np.all(rgb == np.array(BOX), axis=2).sum())


def test_the_notice_is_drawn_over_the_avatar_until_its_time_is_up(tmp_path):
    view = AvatarView(HeadlessDisplay(270, 480), frames_dir=tmp_path, frame_every_s=0.25)
    view.show_notice(STAFF_COMING["en"], at=0.6, seconds=1.0)
    view.advance(2.0, AvatarMode.IDLE, lambda t: "sil")
    assert [view.notice_at(t) for t in (0.5, 0.6, 1.5, 1.6)] == [None, STAFF_COMING["en"], STAFF_COMING["en"], None]
    shown = {f.t_ms: _box_pixels(pygame.image.load(str(tmp_path / f.file))) for f in view.saved}
    assert shown[17] == shown[250] == shown[500] == 0               # before it (the first step's frame is at 17 ms)
    assert shown[750] > 500 and shown[750] == shown[1000] == shown[1500]   # while it is up, the same box
    assert shown[1750] == shown[2000] == 0                          # after it: cleared, not left behind
    label_top = view.renderer.label_box.top
    rgb = pygame.surfarray.array3d(pygame.image.load(str(tmp_path / "frame_0000750ms.png")))
    rows = np.where(np.all(rgb == np.array(BOX), axis=2).any(axis=0))[0]
    assert rows.max() < label_top, "the notice never covers the AI label"


def test_the_mandarin_notice_is_drawn_too(tmp_path):
    view = AvatarView(HeadlessDisplay(270, 480), frames_dir=tmp_path, frame_every_s=0.25)
    view.show_notice(STAFF_COMING["zh"], at=0.0, seconds=5.0)
    view.advance(0.3, AvatarMode.IDLE, lambda t: "sil")
    assert _box_pixels(pygame.image.load(str(tmp_path / view.saved[-1].file))) > 500


def test_staff_notice_follows_a_call_for_staff():
    plain = TurnMood(Mood.NEUTRAL, "", style_for(Mood.NEUTRAL), False)
    handover = TurnMood(Mood.FRUSTRATION, "", style_for(Mood.FRUSTRATION), True)
    from runtime.dialogue.session import Reply

    def reply(**kw):
        return Reply("answer", "Gate B is on the left.", "zh", "gates", 0.9, "mall", "0" * 64, **kw)
    assert staff_notice(reply(), plain) is None
    assert staff_notice(reply(), handover) == STAFF_COMING["zh"]
    assert staff_notice(reply(safety="emergency", alert=True), plain) == STAFF_COMING["zh"]
    assert staff_notice(reply(safety="personal_data", alert=False), plain) is None


def test_the_kiosk_shows_staff_is_coming_when_it_hands_a_visitor_over(mall_pack_dir, tmp_path):
    """Three turns the kiosk cannot answer: after the third, the notice is on screen (the view's state
    and the saved frames), not before."""
    frames = tmp_path / "frames"
    kiosk, speech, view = _kiosk(tmp_path, mall_pack_dir,
                                 ["zorblax quintuple frobnicate", "wibble wobble thing", "ugh wibble, come on"],
                                 ToneSynthesizer(), frames)
    run = kiosk.run()
    speech.close()
    assert run.turns[2]["answer"].endswith(STAFF_COMING["en"])
    third = run.turns[2]["speech_end_ms"] / 1000 if "speech_end_ms" in run.turns[2] else None
    with_box = [f.t_ms for f in view.saved if _box_pixels(pygame.image.load(str(frames / f.file))) > 0]
    assert with_box, "the notice was never drawn"
    assert view.notice_at(with_box[0] / 1000) == STAFF_COMING["en"]
    assert with_box == [f.t_ms for f in view.saved if f.t_ms >= with_box[0]], "shown from the call on, without a gap"
    if third is not None:
        assert with_box[0] >= third * 1000 - 1
    assert not any(view.notice_at(t["speech_start_ms"] / 1000) for t in run.turns[:2] if "speech_start_ms" in t)
