"""WhisperRecognizer's speculation, with a stand-in decoder (no model, no timing asserts).

The real model's behaviour is in test_whisper_recognizer.py; here: a decode starts when the
visitor falls silent, partial words never wait for it, `finish` reuses it when only the pause's
quiet tail came after, throws it away when more speech came, and never waits past its cap."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from runtime.asr.base import TimedWord
from runtime.asr.whisper_asr import WhisperRecognizer
from runtime.asr.whisper_decoder import Decoded
from runtime.audio.chunk import AudioChunk

CHUNK = 512     # 32 ms, as the microphone delivers


class StandInDecoder:
    """Answers with how much audio it was given; can be held until the test lets it go."""

    language = "en"
    languages = ("en",)

    def __init__(self):
        self.calls: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()

    def decode(self, audio: np.ndarray, current: str | None = None) -> Decoded:
        self.calls.append(len(audio))
        self.started.set()
        self.gate.wait(30)
        return Decoded(f"heard {len(audio)} samples", audio_s=len(audio) / 16000)


def chunks(seconds: float, dbfs: float, t0: float = 0.0) -> list[AudioChunk]:
    n = int(seconds * 16000 / CHUNK)
    amp = 10 ** (dbfs / 20) * 32767 * np.sqrt(2)
    out = []
    for i in range(n):
        t = (np.arange(CHUNK) + i * CHUNK) / 16000
        samples = (amp * np.sin(2 * np.pi * 220 * t)).astype(np.int16) if dbfs > -100 else np.zeros(CHUNK, np.int16)
        out.append(AudioChunk(16000, 2, 1, samples.tobytes(), t0 + i * CHUNK / 16000))
    return out


def feed(recognizer, pieces) -> int:
    n = 0
    for chunk in pieces:
        recognizer.accept(chunk)
        n += len(chunk.audio) // 2
    return n


def wait_idle(recognizer) -> None:
    """Until every decode launched so far has finished (the stand-in answers at once)."""
    for job in list(recognizer._launched):
        assert job.done.wait(30)


@pytest.fixture
def decoder():
    return StandInDecoder()


def test_a_pause_starts_a_decode_and_finish_reuses_it(decoder):
    asr = WhisperRecognizer(decoder)
    asr.start()
    spoken = feed(asr, chunks(0.3, -60) + chunks(1.0, -20))       # pre-roll, then speech
    assert asr.partial_words() == []                               # the pause: a decode starts, nothing yet
    quiet = feed(asr, chunks(0.064, -60))
    wait_idle(asr)
    assert decoder.calls == [spoken] or decoder.calls == [spoken + CHUNK]
    words = asr.partial_words()
    assert [w.word for w in words] == ["heard", str(decoder.calls[0]), "samples"]
    assert all(isinstance(w, TimedWord) and w.start is None for w in words)
    feed(asr, chunks(0.3, -60))                                    # the rest of the pause's tail
    assert asr.partial_words() == words                            # quiet audio: no new decode
    assert asr.finish() == f"heard {decoder.calls[0]} samples"
    assert asr.ready_ago() > 0.0                                   # ready in the pause, before `finish`
    assert len(decoder.calls) == 1 and asr.stats["reused"] == 1 and asr.stats["final"] == 0
    assert spoken <= decoder.calls[0] <= spoken + quiet


def test_more_speech_after_the_guess_throws_it_away(decoder):
    asr = WhisperRecognizer(decoder)
    asr.start()
    total = feed(asr, chunks(0.3, -60) + chunks(0.8, -20))
    asr.partial_words()
    total += feed(asr, chunks(0.1, -60))
    wait_idle(asr)
    assert len(decoder.calls) == 1
    total += feed(asr, chunks(0.6, -20) + chunks(0.3, -60))       # the visitor goes on, then stops
    assert asr.finish() == f"heard {total} samples"                # the whole utterance, decoded again
    assert decoder.calls[-1] == total
    assert asr.stats["discarded"] == 1 and asr.stats["final"] == 1 and asr.stats["reused"] == 0


def test_partial_words_never_wait_for_a_decode(decoder):
    decoder.gate.clear()                                           # the decode takes "forever"
    asr = WhisperRecognizer(decoder)
    asr.start()
    feed(asr, chunks(0.3, -60) + chunks(1.0, -20) + chunks(0.1, -60))
    assert asr.partial_words() == []
    assert decoder.started.wait(30)
    assert asr.partial_words() == [] and asr.partial() == ""       # still running: answered at once
    decoder.gate.set()
    wait_idle(asr)
    assert asr.partial().startswith("heard")


def test_finish_waits_no_longer_than_its_cap(decoder):
    decoder.gate.clear()
    asr = WhisperRecognizer(decoder, wall_cap_s=0.2)
    asr.start()
    feed(asr, chunks(0.3, -60) + chunks(1.0, -20) + chunks(0.1, -60))
    assert asr.finish() == ""                                      # nothing finished in time: no words
    assert asr.stats["timeouts"] == 1
    decoder.gate.set()
    asr.start()                                                    # the late result is not this turn's
    assert asr.partial_words() == [] and asr.finish() == ""


def test_a_guess_that_finishes_while_finish_waits_answers_when_the_cap_runs_out(decoder):
    """A loaded board: the pause's guess is still decoding when more speech makes `finish` launch the
    whole utterance, which cannot finish in time; the guess that finished meanwhile answers."""
    held = threading.Event()
    slow = decoder.decode

    def decode(audio, current=None):
        if decoder.calls:                 # the second decode never finishes in time
            held.wait(30)
        return slow(audio)

    decoder.gate.clear()
    decoder.decode = decode
    asr = WhisperRecognizer(decoder, wall_cap_s=1.0)
    asr.start()
    feed(asr, chunks(0.3, -60) + chunks(1.0, -20))
    asr.partial_words()
    feed(asr, chunks(0.1, -60))
    assert decoder.started.wait(30)                                # the guess is running
    guess = decoder.calls[0]
    feed(asr, chunks(0.6, -20) + chunks(0.3, -60))                 # the visitor went on
    threading.Timer(0.1, decoder.gate.set).start()                 # the guess finishes 0.1 s into the wait
    assert asr.finish() == f"heard {guess} samples"
    assert asr.stats["timeouts"] == 1
    held.set()


def test_a_new_turn_forgets_the_last(decoder):
    asr = WhisperRecognizer(decoder)
    asr.start()
    feed(asr, chunks(0.3, -60) + chunks(0.5, -20) + chunks(0.1, -60))
    assert asr.finish().startswith("heard")
    asr.start()
    assert asr.partial_words() == [] and asr.finish() == ""


def test_a_wrong_audio_format_is_an_asr_error(decoder):
    from runtime.shared.errors import AsrError
    asr = WhisperRecognizer(decoder)
    asr.start()
    with pytest.raises(AsrError, match="16 kHz mono"):
        asr.accept(AudioChunk(48000, 2, 1, b"\0\0" * 480, 0.0))


def test_a_failed_decode_reaches_the_caller(decoder):
    from runtime.shared.errors import AsrError

    def broken(audio, current=None):
        raise RuntimeError("engine fell over")
    decoder.decode = broken
    asr = WhisperRecognizer(decoder)
    asr.start()
    feed(asr, chunks(0.3, -60) + chunks(0.5, -20) + chunks(0.1, -60))
    with pytest.raises(AsrError, match="engine fell over"):
        asr.finish()      # the supervised recogniser marks the stage failed and rebuilds it


def test_the_decode_thread_ends_with_its_recogniser(decoder):
    """A recogniser replaced after a failure leaves no thread behind."""
    import gc
    asr = WhisperRecognizer(decoder)
    worker = asr._worker
    assert worker.is_alive() and worker.daemon and worker.name == "whisper-decode"
    del asr
    gc.collect()
    worker.join(30)
    assert not worker.is_alive()


def test_closing_finishes_the_decode_in_flight_and_ends_the_thread(decoder):
    """The kiosk stops (`Stages.close`): the decode under way ends, then the thread, so none is left
    inside CTranslate2 while the interpreter shuts down (runtime/__main__.py)."""
    asr = WhisperRecognizer(decoder)
    asr.start()
    decoder.gate.clear()
    feed(asr, chunks(0.3, -60) + chunks(1.0, -20))
    asr.partial_words()
    feed(asr, chunks(0.064, -60))                               # the pause: a guess starts
    assert decoder.started.wait(30)
    closing = threading.Thread(target=asr.close)
    closing.start()
    closing.join(0.2)
    assert closing.is_alive()              # waits for the decode in flight
    decoder.gate.set()
    closing.join(30)
    assert not closing.is_alive() and not asr._worker.is_alive()
