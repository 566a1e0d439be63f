"""One cache entry on disk: a piece's segments (audio, phoneme times) in one .npz, no pickle."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np

from runtime.audio.chunk import AudioChunk
from runtime.shared.errors import TtsError

from ..base import PhonemeTiming, SpeechSegment


def encode(segments: list[SpeechSegment]) -> bytes:
    meta = [{"text": s.text, "rate": s.audio.rate, "width": s.audio.width, "channels": s.audio.channels,
             "phonemes": None if s.phonemes is None else [[p.phoneme, p.start, p.end] for p in s.phonemes]}
            for s in segments]
    arrays = {f"audio_{i}": np.frombuffer(s.audio.audio, dtype=np.uint8) for i, s in enumerate(segments)}
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8), **arrays)
    return buffer.getvalue()


def decode(blob: bytes, where: str) -> list[SpeechSegment]:
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            meta = json.loads(npz["meta"].tobytes().decode("utf-8"))
            return [SpeechSegment(m["text"], AudioChunk(m["rate"], m["width"], m["channels"],
                                                        npz[f"audio_{i}"].tobytes()),
                                  None if m["phonemes"] is None else
                                  tuple(PhonemeTiming(p, float(a), float(b)) for p, a, b in m["phonemes"]))
                    for i, m in enumerate(meta)]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise TtsError(f"{where}: not a readable answer-cache entry ({type(err).__name__}: {err})") from err


def write_atomic(path: Path, blob: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
