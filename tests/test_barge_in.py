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
from runtime.barge_in import BargeInConfig, BargeInDetector
from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.responder import Responder
from runtime.endpointing import Endpointer
from runtime.kiosk import Kiosk
from runtime.listener import Listener
from runtime.renderer.display import HeadlessDisplay
from runtime.speech_output import SpeechOutput
from runtime.vad import SileroVad
from tests.conftest import write_wav

pytestmark = pytest.mark.slow


def test_detector_needs_sustained_speech_above_the_echo():
    det = BargeInDetector(BargeInConfig(min_speech_s=0.1))
    loud, far = 0.1, 0.3
    assert det.frame(1.0, 0.032, 0.9, loud, far, True) is None
    assert det.frame(1.032, 0.032, 0.9, loud, far, True) is None
    assert det.frame(1.064, 0.032, 0.9, loud, far, True) is None         # 96 ms of speech so far
    assert det.frame(1.096, 0.032, 0.9, loud, far, True) == 1.0          # 128 ms >= 100 ms: barge-in
    det.reset()
    echo_only = 0.3 * 10 ** (-32 / 20)                                   # what a good echo path leaves
    assert all(det.frame(2 + i * 0.032, 0.032, 0.9, echo_only, far, True) is None for i in range(20))
    det.reset()
    assert det.frame(3.0, 0.032, 0.9, loud, far, True) is None           # an "mm": two frames, then quiet
    assert det.frame(3.032, 0.032, 0.9, loud, far, True) is None
    assert det.frame(3.064, 0.032, 0.1, 0.001, far, True) is None
    assert det.frame(3.096, 0.032, 0.9, loud, far, True) is None         # the count starts again
    assert det.frame(5.0, 0.032, 0.9, loud, far, False) is None          # avatar silent: a normal turn


def _kiosk(tmp_path, mall_pack_dir, audio, transcripts, piper_en, echo_db=-6.0, aec=True):
    path = write_wav(tmp_path / "in.wav", audio)
    inner = WavFileSource(path, paced=False)
    speech_holder = {}
    rng = np.random.default_rng(3)
    source = EchoLoopSource(inner, lambda t, s: speech_holder["speech"].far_audio(t, s),
                            room_impulse_response(rng), gain_db=echo_db,
                            noise=(rng.standard_normal(16000 * 4) * 0.003).astype(np.float32))
    speech = SpeechOutput({"en": piper_en}, NullSink(piper_en.rate), source.now, time.perf_counter)
    speech_holder["speech"] = speech
    kiosk = Kiosk(source, Listener(SileroVad(), ScriptedRecognizer(transcripts), Endpointer()),
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
