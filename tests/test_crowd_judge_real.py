"""The crowd judge on real recordings (../shared/speech mixed with ../shared/noise at run time, with the
bench's mixer): the kiosk's front end (Silero, the level gate), the listener and real Whisper base.

In steady street noise at 10 dB SNR a real visitor's question stands only ~7-8 dB over the hall's
floor: the level alone takes it for the crowd (the pocketsphinx path still does). Whisper hears clear
speech in it, so the turn is kept; the same street without the visitor gives no turn with words, and
whatever it opens is dropped with its reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench import noise_mix
from runtime.asr.scoring import word_errors
from runtime.audio.chunk import AudioChunk
from runtime.listening.front_end import AudioFrontEnd
from runtime.listening.level_gate import LevelGate
from runtime.listening.listener import Listener
from runtime.listening.turn_judge import CROWD_LEVEL, CROWD_UNCLEAR
from runtime.listening.vad import make_vad
from runtime.turn_taking.endpointing import Endpointer
from runtime.turn_taking.events import RunEvent
from tests.conftest import SHARED

pytestmark = pytest.mark.slow

STREET = SHARED / "noise" / "street_traffic_potsdam.wav"
QUESTION = SHARED / "speech" / "cathy-en" / "arctic_a0071_1592746861.wav"   # "What was the object of your little sensation."


class _LevelOnly:
    """The same engine, as a recogniser that gives no evidence (pocketsphinx) is seen by the listener."""

    weighs_speech = False

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)


def _mix(speech: Path, noise: Path, snr_db: float = 10.0, tail_s: float = 2.0) -> np.ndarray:
    """As bench/asr.py mixes (the speech at its level, the noise scaled to the SNR, 1 s of it before)."""
    samples = noise_mix.read_wav16(speech)
    seed = noise_mix.mix_seed(0, noise.name, f"{speech.parent.name}/{speech.stem}")
    return noise_mix.mix(samples, noise_mix.read_wav16(noise), snr_db, seed, tail_s=tail_s).samples


def _listen(recognizer, audio: np.ndarray) -> tuple[list, Listener]:
    front_end = AudioFrontEnd(make_vad("silero"), LevelGate())
    listener = Listener(recognizer, Endpointer(), near_talker=front_end.near_talker)
    events, step = [], 512
    for i in range(0, len(audio) - step + 1, step):
        chunk = AudioChunk(16000, 2, 1, audio[i:i + step].astype(np.int16).tobytes(), i / 16000)
        events += listener.process(front_end.process(chunk, turn=listener.turn_state), lambda end=chunk.end: end)
    return events + listener.flush(lambda: len(audio) / 16000), listener


def test_a_real_question_in_steady_street_noise_is_kept_on_whispers_word(whisper):
    audio = _mix(QUESTION, STREET)
    level_only, _ = _listen(_LevelOnly(whisper), audio)
    dropped = [p for e, p in level_only if e is RunEvent.TURN_DISCARDED]
    assert dropped and all(d.reason == CROWD_LEVEL for d in dropped)              # the level alone loses it
    assert not [p for e, p in level_only if e is RunEvent.TURN_ENDED and p.transcript]

    events, listener = _listen(whisper, audio)
    heard = [p.transcript for e, p in events if e is RunEvent.TURN_ENDED and p.transcript]
    errors, _ = word_errors(QUESTION.with_suffix(".txt").read_text(), " ".join(heard))
    assert heard and errors <= 2, heard
    assert listener.quiet_turns_kept >= 1 and whisper.speech_evidence().no_speech_prob < 0.27


@pytest.mark.parametrize("noise", ["street_traffic_potsdam.wav", "cafe_restaurant_ambience.wav"])
def test_the_hall_alone_gives_no_turn_with_words_and_each_drop_says_why(whisper, noise):
    """The same hall with nobody at the kiosk: 8 s of it at the level it had under the visitor."""
    hall = noise_mix.read_wav16(SHARED / "noise" / noise)
    question = noise_mix.read_wav16(QUESTION)
    seed = noise_mix.mix_seed(0, noise, "cathy-en/arctic_a0071_1592746861")
    gain = noise_mix.mix(question, hall, 10.0, seed).noise_gain
    excerpt, _ = noise_mix.noise_excerpt(hall, 8 * 16000, np.random.default_rng(seed))
    audio = np.clip(np.round(excerpt * gain * 32768), -32768, 32767).astype(np.int16)
    events, _ = _listen(whisper, audio)
    assert not [p.transcript for e, p in events if e is RunEvent.TURN_ENDED and p.transcript]
    assert all(p.reason in (CROWD_LEVEL, CROWD_UNCLEAR) or "too short" in p.reason
               for e, p in events if e is RunEvent.TURN_DISCARDED)
