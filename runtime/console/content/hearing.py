"""Speak a question in "Try it": the browser's recording through the kiosk's own listening path.

`KioskHearing` picks the recogniser as `edge-avatar run --asr auto` does (`choose_asr` with the board
profile), hinted with the draft's example questions (`pack_phrases`, as the kiosk hints), and runs the
WAV through `transcribe_file` (runtime/listening/transcribe.py: the kiosk's VAD, endpointer and
streaming recogniser). A recogniser is kept per language and rebuilt when the draft's examples change.
`ScriptedHearing` is the test double.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path
from typing import Protocol

from runtime.dialogue.content_pack import ContentPack
from runtime.shared.errors import AudioInputError

_LOGGER = logging.getLogger(__name__)
MAX_WAV_BYTES = 4 * 1024 * 1024   # ~2 minutes of 16 kHz mono: a question is a few seconds


class Hearing(Protocol):
    name: str

    def transcribe(self, wav: bytes, lang: str, pack: ContentPack) -> str: ...


def check_wav(wav: bytes) -> None:
    if not wav or wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise AudioInputError("audio: expected a WAV recording (RIFF/WAVE) from the microphone button")
    if len(wav) > MAX_WAV_BYTES:
        raise AudioInputError(f"audio: expected at most {MAX_WAV_BYTES // 1024} KB, got {len(wav) // 1024} KB")


class KioskHearing:
    name = "kiosk"

    def __init__(self, models_dir=None, vad: str = "silero"):
        self._models_dir, self._vad = models_dir, vad
        self._recognizers: dict[str, tuple[str, object]] = {}   # lang -> (pack digest, recogniser)
        self._lock = threading.Lock()

    def _recognizer(self, lang: str, pack: ContentPack):
        from runtime.asr.phrase_hints import pack_phrases
        from runtime.board.defaults import board_defaults
        from runtime.composition.backends import choose_asr, make_recognizer
        from runtime.models.manifest import ModelCatalog
        kept = self._recognizers.get(lang)
        if kept is None or kept[0] != pack.digest:
            catalog, board = ModelCatalog.load(self._models_dir), board_defaults()
            asr = choose_asr(catalog, lang, "auto", board.asr)
            recognizer = make_recognizer(catalog, lang, pack_phrases(pack, lang), asr, board.asr_threads)
            self._recognizers[lang] = (pack.digest, recognizer)
            _LOGGER.info("console recogniser for %s: %s", lang, asr)
        return self._recognizers[lang][1]

    def transcribe(self, wav: bytes, lang: str, pack: ContentPack) -> str:
        check_wav(wav)
        from runtime.listening.transcribe import transcribe_file
        from runtime.listening.vad import make_vad
        with self._lock, tempfile.TemporaryDirectory(prefix="console-mic-") as tmp:
            path = Path(tmp) / "question.wav"
            path.write_bytes(wav)
            try:
                turns = transcribe_file(path, self._recognizer(lang, pack), make_vad(self._vad))
            except AudioInputError:
                raise
            except (ValueError, EOFError, OSError) as err:   # a WAV the reader cannot take: say so at the field
                raise AudioInputError(f"audio: could not read the recording ({type(err).__name__}: {err})") from None
        return " ".join(t.transcript for t in turns if t.transcript).strip()


class ScriptedHearing:
    """Test double: hears what it is told to, in order."""

    name = "scripted"

    def __init__(self, *transcripts: str):
        self.transcripts = list(transcripts)

    def transcribe(self, wav: bytes, lang: str, pack: ContentPack) -> str:
        check_wav(wav)
        return self.transcripts.pop(0) if self.transcripts else ""
