"""Whisper's text side, pure: the venue prompt (`prompt_ids`) and the output guards (loops, repeats,
Simplified Chinese). Used by `whisper_decoder`."""

from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass, field

_LOGGER = logging.getLogger(__name__)

PROMPT_TOKENS = 200          # Whisper's previous-text prompt holds at most 223 tokens (n_text_ctx // 2 - 1)
LANGUAGE_PROMPTS = {"zh": "以下是普通话的句子。"}   # Simplified Mandarin rather than Traditional or Cantonese


QUESTION_WORDS = {"what", "where", "when", "how", "who", "which", "why", "is", "are", "do", "does", "can",
                  "could", "may", "will", "would", "should", "any", "have", "has", "did"}


def prompt_ids(tokenizer, language: str, phrases: list[str], budget: int = PROMPT_TOKENS) -> list[int]:
    """`<|startofprev|>` and the venue's phrases as written sentences, as many as fit in `budget`
    tokens: picked greedily by the words (zh: characters) they add that are not in yet, per token, so
    every intent's own words ("dinosaurs", "wifi", "停车") get in before a second way to ask for one.
    [] when there is nothing to say."""
    head = LANGUAGE_PROMPTS.get(language, "")
    used = len(tokenizer.encode(" " + head, add_special_tokens=False).ids) if head else 0
    candidates = []
    for order, phrase in enumerate(dict.fromkeys(p.strip() for p in phrases if p.strip())):
        sentence = _sentence(phrase, language)
        units = set(phrase) - set(" ，。？！,.?!") if language == "zh" else set(phrase.lower().split())
        candidates.append((order, sentence, units, len(tokenizer.encode(" " + sentence, add_special_tokens=False).ids)))
    chosen: list[tuple[int, str]] = []
    seen: set[str] = set()
    while candidates:
        fits = [c for c in candidates if used + c[3] <= budget and c[2] - seen]
        if not fits:
            break
        best = max(fits, key=lambda c: (len(c[2] - seen) / c[3], -c[0]))
        chosen.append((best[0], best[1]))
        seen |= best[2]
        used += best[3]
        candidates.remove(best)
    sentences = [text for _, text in sorted(chosen)]      # in the pack's order, as a venue would say them
    text = (head + "".join(sentences)) if language == "zh" else " ".join(sentences)
    if not text:
        return []
    ids = tokenizer.encode(" " + text.strip(), add_special_tokens=False).ids[:budget]
    return [tokenizer.token_to_id("<|startofprev|>")] + ids


def _sentence(phrase: str, language: str) -> str:
    """A pack phrase ("where is the restroom") as Whisper writes speech ("Where is the restroom?"),
    so the prompt does not teach it to drop case and punctuation."""
    phrase = phrase.strip()
    if language == "zh":
        asks = any(w in phrase for w in ("吗", "呢", "什么", "哪", "几", "怎么", "多少", "谁"))
        return phrase if phrase[-1:] in "。？！" else phrase + ("？" if asks else "。")
    words = [("I" + w[1:] if w == "i" or w.startswith("i'") else w) for w in phrase.split()]
    if not words:
        return ""
    end = "?" if words[0].lower() in QUESTION_WORDS else "."
    text = " ".join(words)
    return text[0].upper() + text[1:] + ("" if text[-1] in ".?!" else end)


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data))) if data else 0.0


_WORD = re.compile(r"\w+(?:'\w+)?", re.UNICODE)
LOOP_NGRAM = 4       # the same four words twice in one visitor's utterance: Whisper looping, not a visitor


def first_repeat(text: str, n: int = LOOP_NGRAM) -> int | None:
    """The index (in `text.split()`) where a run of `n` words seen before starts again, or where one
    word is said a fourth time in a row; None if the text does not repeat itself."""
    pieces = text.split()
    words = [" ".join(_WORD.findall(p.lower())) for p in pieces]
    seen: set[tuple[str, ...]] = set()
    for i in range(len(words)):
        if i >= 3 and words[i] and words[i] == words[i - 1] == words[i - 2] == words[i - 3]:
            return i
        if i + n <= len(words):
            gram = tuple(words[i:i + n])
            if gram in seen:
                return i
            seen.add(gram)
    return None


def repeats(text: str) -> bool:
    return first_repeat(text) is not None


def cut_repeat(text: str) -> str:
    """The text up to where it starts repeating itself."""
    at = first_repeat(text)
    return text if at is None else " ".join(text.split()[:at])


def normalise_output(text: str, language: str) -> str:
    """Whisper's text as the kiosk wants it: stripped, and Simplified Chinese for zh (OpenCC t2s when
    the `opencc` package is installed)."""
    text = text.strip()
    if language == "zh" and text:
        converter = _t2s()
        if converter is not None:
            text = converter.convert(text)
    return text


@dataclass
class _OpenCC:
    converter: object = field(default=None)
    tried: bool = False


_OPENCC = _OpenCC()


def _t2s():
    if not _OPENCC.tried:
        _OPENCC.tried = True
        try:
            import opencc
            _OPENCC.converter = opencc.OpenCC("t2s")
        except Exception:   # not installed, or a build without its data: Whisper's own script then
            _LOGGER.info("whisper: opencc is not installed; Mandarin text is left as Whisper writes it")
    return _OPENCC.converter
