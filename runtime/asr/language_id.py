"""Which language a turn was spoken in, decided from a recogniser's language scores (pure).

A multilingual recogniser (Whisper) scores every language it knows on the turn's audio. The
kiosk can only answer in the languages its content pack has *and* it can speak and hear, so the
scores are restricted to those (`candidates`) and renormalised; the best candidate wins only when it
holds at least `min_share` of the candidates' probability and at least `min_prob` of the whole
(speech in a language the kiosk does not serve — Cantonese, Japanese — or noise, scores low for all
of them). Otherwise the turn keeps the current language: a kiosk that is unsure does not switch.

`MIN_SHARE` and `MIN_PROB` were set before any measurement (a 4:1 majority; a fifth of Whisper's
mass) and not tuned on the speech sets the accuracy is reported on. Audio shorter than
`MIN_SECONDS` keeps the current language without asking: Whisper learned its language token on
30 s windows, and on a word or two it guesses (seen: the first 0.5 s of a Mandarin sentence,
"而在", taken for English "Areza").
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_SHARE = 0.8     # the winner's part of the candidates' probability
MIN_PROB = 0.2      # ... and of all languages' probability
MIN_SECONDS = 1.0   # less audio than this is too little to tell a language by


def too_short(audio_s: float, min_seconds: float = MIN_SECONDS) -> bool:
    """Too little audio to find its language: the current one is kept."""
    return audio_s < min_seconds


@dataclass(frozen=True)
class LanguageDecision:
    language: str          # the language to answer in
    heard: str | None      # the best candidate by score (None: no candidate scored)
    share: float           # its part of the candidates' probability (0..1)
    prob: float            # its raw probability among every language the engine knows
    confident: bool        # False: `language` is the current one, kept

    def as_dict(self) -> dict:
        return {"language": self.language, "heard": self.heard, "share": round(self.share, 3),
                "prob": round(self.prob, 3), "confident": self.confident}


def decide_language(scores: dict[str, float], candidates: tuple[str, ...], current: str,
                    min_share: float = MIN_SHARE, min_prob: float = MIN_PROB) -> LanguageDecision:
    """The language of a turn from `scores` ({language code: probability}, any languages), restricted
    to `candidates`; `current` when the decision is not confident (or nothing scored)."""
    if not candidates:
        raise ValueError("decide_language: no candidate languages")
    mine = {lang: max(0.0, float(scores.get(lang, 0.0))) for lang in candidates}
    total = sum(mine.values())
    if total <= 0.0:
        return LanguageDecision(current, None, 0.0, 0.0, False)
    best = max(candidates, key=lambda lang: (mine[lang], lang == current))
    share, prob = mine[best] / total, mine[best]
    confident = share >= min_share and prob >= min_prob
    return LanguageDecision(best if confident else current, best, share, prob, confident)


def whisper_scores(pairs: list[tuple[str, float]]) -> dict[str, float]:
    """CTranslate2's `detect_language` answer ([("<|zh|>", 0.93), …]) as {"zh": 0.93, …}."""
    return {token.strip("<|>"): float(p) for token, p in pairs}
