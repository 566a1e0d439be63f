"""Which languages a kiosk listens in: the home language (`--lang`, else the pack's default) and the
languages a visitor's turn may be in (the pack's, that this kiosk can both hear and speak)."""

from __future__ import annotations

import logging

from runtime.dialogue.content_pack import ContentPack
from runtime.models.manifest import ModelCatalog
from runtime.shared.errors import LanguageError, ModelError

from .backends import describe_recognizer, describe_synthesizer

_LOGGER = logging.getLogger(__name__)


def choose_language(pack: ContentPack, catalog: ModelCatalog, wanted: str | None) -> str:
    """The home language: `--lang`, else the pack's default. Either must be one of the pack's and
    have a recogniser installed: otherwise a LanguageError that names what to install (never a
    silent switch to another language)."""
    lang = wanted if wanted is not None else pack.default_language
    if lang not in pack.languages:
        raise LanguageError(f"--lang {lang}: the content pack {pack.venue_id} has {list(pack.languages)}")
    try:
        describe_recognizer(catalog, lang)
    except (LanguageError, ModelError) as err:
        source = "--lang" if wanted is not None else f"the pack {pack.venue_id}'s default_language"
        raise LanguageError(f"{source} {lang}: {err}") from err
    return lang


def turn_languages(pack: ContentPack, catalog: ModelCatalog, home: str, precision: str = "float") -> tuple[str, ...]:
    """The languages a turn may be in, home first: the pack's languages with a recogniser and a voice
    installed (a missing one is logged, never guessed)."""
    out = [home]
    for lang in pack.languages:
        if lang == home:
            continue
        try:
            describe_recognizer(catalog, lang)
            engine, _ = describe_synthesizer(catalog, lang, precision)
        except (LanguageError, ModelError) as err:
            _LOGGER.warning("visitors speaking %s will not be understood: %s", lang, err)
            continue
        if engine == "espeak-ng" and not _espeak_speaks(lang):
            _LOGGER.warning("visitors speaking %s will not be understood: no voice for it", lang)
            continue
        out.append(lang)
    _LOGGER.info("languages a turn may be in: %s (home %s)", ", ".join(out), home)
    return tuple(out)


def _espeak_speaks(lang: str) -> bool:
    from runtime.tts.espeak_tts import ESPEAK_VOICES
    return lang in ESPEAK_VOICES
