"""Concept lexicon: groups of words and phrases that mean the same thing to a visitor.

`Lexicon.tag(text, lang)` finds every phrase of a concept in a normalised text,
longest first, each span used once ("充电宝" is charging, not also "宝宝"), and
returns the concept names. Pure; built from the shipped venue.yaml plus a pack's
own `synonyms:`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import yaml

from ..text_features import normalise, syllable, word_tokens

BUILT_IN = Path(__file__).parent / "venue.yaml"


class Lexicon:
    def __init__(self, groups: Mapping[str, Mapping[str, Sequence[str]]], by_sound: bool = True):
        # phrase tokens (a tuple) -> concept, per language; longest phrases tried first
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for concept, by_lang in groups.items():
            for lang, phrases in by_lang.items():
                for phrase in phrases:
                    tokens = _tokens(str(phrase), lang)
                    if tokens:
                        self._phrases.setdefault(lang, []).append((tokens, str(concept)))
        for entries in self._phrases.values():
            entries.sort(key=lambda e: -len(e[0]))
        # Mandarin phrases of two or more syllables also match by sound (toneless pinyin),
        # so a recogniser's homophone slip (测所 for 厕所) still finds the concept.
        self._sounds = [(tuple(syllable(t) for t in tokens), concept)
                        for tokens, concept in self._phrases.get("zh", ()) if by_sound and len(tokens) >= 2]
        self.groups = {str(c): {lang: tuple(map(str, p)) for lang, p in g.items()} for c, g in groups.items()}

    @classmethod
    def built_in(cls, extra: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
                 by_sound: bool = True) -> "Lexicon":
        groups = {c: {lang: list(p) for lang, p in g.items()}
                  for c, g in yaml.safe_load(BUILT_IN.read_text(encoding="utf-8")).items()}
        for concept, by_lang in (extra or {}).items():
            merged = groups.setdefault(concept, {})
            for lang, phrases in by_lang.items():
                merged[lang] = list(merged.get(lang, [])) + list(phrases)
        return cls(groups, by_sound)

    def tag(self, text: str, lang: str) -> list[str]:
        tokens = _tokens(text, lang)
        used = [False] * len(tokens)
        found = []
        for phrase, concept in self._phrases.get(lang, ()):
            n = len(phrase)
            for i in range(len(tokens) - n + 1):
                if tokens[i:i + n] == phrase and not any(used[i:i + n]):
                    used[i:i + n] = [True] * n
                    found.append(concept)
        if lang == "zh" and not all(used):
            sounds = tuple(syllable(t) for t in tokens)
            for phrase, concept in self._sounds:
                n = len(phrase)
                for i in range(len(sounds) - n + 1):
                    if sounds[i:i + n] == phrase and not any(used[i:i + n]):
                        used[i:i + n] = [True] * n
                        found.append(concept)
        return found


def _tokens(text: str, lang: str) -> tuple[str, ...]:
    return tuple(word_tokens(normalise(text), lang))
