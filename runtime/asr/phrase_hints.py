"""Recognition hints compiled from a content pack: the questions a venue expects, heard better.

`pack_phrases(pack, lang)` lists what visitors are expected to say: every example
question and follow-up, the pack's synonyms, and the kiosk's own commands ("say
that again", "English please"). Vosk takes them as a phrase grammar (with [unk]
so other speech still comes out); pocketsphinx takes a venue language model built
here by `venue_arpa`: trigrams of the phrases, backing off to a unigram that mixes
the phrases' words with the general model's most frequent words, so visitors can
still say what no admin wrote down. pocketsphinx streams with it (the partial words
steer the end of the turn) and decodes the final words with it and with the general
model, keeping the better-scoring path (`pocketsphinx_asr.py`). Pure text in, ARPA text out.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Iterable, Mapping

from ..dialogue.content_pack import ContentPack
from ..dialogue.visitor_commands import command_phrases
from ..dialogue.text_features import normalise

BOS, EOS = "<s>", "</s>"
DISCOUNT = 0.5          # absolute discounting of the phrase n-grams
PHRASE_UNIGRAM_SHARE = 0.3  # share of the unigram mass given to the venue's own words


def pack_phrases(pack: ContentPack, lang: str) -> list[str]:
    phrases: list[str] = []
    for intent in pack.intents:
        phrases += intent.questions.get(lang, ())
        for followup in intent.followups:
            phrases += followup.questions.get(lang, ())
    for groups in pack.synonyms.values():
        phrases += groups.get(lang, ())
    phrases += command_phrases(lang)
    seen, unique = set(), []
    for p in phrases:
        n = normalise(p)
        if n and n not in seen:
            seen.add(n)
            unique.append(n)
    return unique


def words_of(phrase: str) -> list[str]:
    return [w for w in re.split(r"[^a-z']+", phrase.lower()) if w]


def venue_arpa(phrases: Iterable[str], general_unigrams: Mapping[str, float],
               known: set[str] | None = None) -> str:
    """An ARPA trigram model. `general_unigrams`: word -> log10 probability from the general
    model (its most frequent words); `known`: words the pronunciation dictionary has."""
    sentences = []
    for p in phrases:
        words = [w for w in words_of(p) if known is None or w in known]
        if words:
            sentences.append([BOS] + words + [EOS])
    counts: list[Counter[tuple[str, ...]]] = [Counter(), Counter(), Counter()]
    for s in sentences:
        for n in range(1, 4):
            for i in range(len(s) - n + 1):
                counts[n - 1][tuple(s[i:i + n])] += 1
    # Unigrams: the phrases' words mixed with the general model's frequent words.
    phrase_words = Counter({g[0]: c for g, c in counts[0].items() if g[0] != BOS})
    total_phrase = sum(phrase_words.values()) or 1
    general = {w: 10 ** lp for w, lp in general_unigrams.items() if w not in (BOS, EOS)}
    total_general = sum(general.values()) or 1.0
    vocab = set(general) | set(phrase_words)
    uni: dict[str, float] = {}
    for w in vocab:
        p = (PHRASE_UNIGRAM_SHARE * phrase_words.get(w, 0) / total_phrase
             + (1 - PHRASE_UNIGRAM_SHARE) * general.get(w, 0.0) / total_general)
        uni[w] = p
    uni[EOS] = max(uni.get(EOS, 0.0), PHRASE_UNIGRAM_SHARE * phrase_words.get(EOS, 0) / total_phrase, 1e-4)
    norm = sum(uni.values())
    uni = {w: p / norm for w, p in uni.items()}
    probs: list[dict[tuple[str, ...], float]] = [{(w,): p for w, p in uni.items()}, {}, {}]
    backoff: list[dict[tuple[str, ...], float]] = [{}, {}, {}]
    for n in (2, 3):
        by_history: dict[tuple[str, ...], dict[str, int]] = defaultdict(dict)
        for gram, c in counts[n - 1].items():
            by_history[gram[:-1]][gram[-1]] = c
        for history, followers in by_history.items():
            total = sum(followers.values())
            for w, c in followers.items():
                probs[n - 1][history + (w,)] = (c - DISCOUNT) / total
            left = DISCOUNT * len(followers) / total
            lower_seen = sum(_prob(probs, history[1:] + (w,), backoff) for w in followers)
            backoff[n - 2][history] = left / max(1e-9, 1.0 - lower_seen)
    probs[0][(BOS,)] = 0.0  # <s> is never predicted
    return _write(probs, backoff)


def _prob(probs, gram: tuple[str, ...], backoff) -> float:
    """P(w | history) with backoff, for grams up to the order built so far."""
    if gram in probs[len(gram) - 1]:
        return probs[len(gram) - 1][gram]
    if len(gram) == 1:
        return 1e-9
    return backoff[len(gram) - 2].get(gram[:-1], 1.0) * _prob(probs, gram[1:], backoff)


def _log10(p: float) -> float:
    return -99.0 if p <= 0 else math.log10(p)


def _write(probs, backoff) -> str:
    lines = ["\\data\\"] + [f"ngram {n}={len(probs[n - 1])}" for n in (1, 2, 3)] + [""]
    for n in (1, 2, 3):
        lines.append(f"\\{n}-grams:")
        for gram in sorted(probs[n - 1]):
            p = probs[n - 1][gram]
            entry = f"{_log10(p):.4f}\t{' '.join(gram)}"
            if n < 3:
                entry += f"\t{_log10(backoff[n - 1].get(gram, 1.0)):.4f}"
            lines.append(entry)
        lines.append("")
    lines.append("\\end\\")
    return "\n".join(lines) + "\n"
