"""English sentences for the audio→viseme training data: deterministic from a seed.

Three sources, for phonetic variety: kiosk-style sentences from templates, the
English answers of the bundled content pack, and random word strings from the CMU
pronouncing dictionary that pocketsphinx ships (every English phoneme, in
combinations no template has).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import yaml

_PLACES = ["the cinema", "the food court", "the toilets", "the exit", "the car park", "the ticket office",
           "the children's play area", "the information desk", "the lift", "the museum shop", "gate three",
           "the dinosaur hall", "the planetarium", "the coffee shop", "the pharmacy", "the north entrance"]
_WHERE = ["on the second floor", "next to the escalator", "behind you", "at the end of this corridor",
          "opposite the bookshop", "in the basement", "near the fountain", "on your left", "upstairs"]
_TIMES = ["at nine in the morning", "until ten tonight", "every half hour", "from Monday to Friday",
          "at a quarter past six", "on public holidays", "twice a day", "in about five minutes"]
_TEMPLATES = [
    "{place} is {where}.", "You can find {place} {where}.", "Where is {place}?",
    "{place} opens {time}.", "The next show starts {time}.", "Please follow the signs to {place}.",
    "Thank you for visiting, have a wonderful day!", "Could you say that again, please?",
    "Sorry, I did not catch that. Could you repeat it?", "Tickets cost {n} yuan for adults.",
    "Children under {n} go in for free.", "Is there anything else I can help you with?",
    "Walk straight ahead, then turn {side} at {place}.", "{place} closes {time}, so please hurry.",
    "Welcome! I am the digital guide. Ask me about {place}.", "It takes about {n} minutes to walk there.",
]
_NUMBERS = ["two", "three", "five", "eight", "twelve", "fifteen", "twenty", "forty", "sixty", "ninety"]
_WORD = re.compile(r"^[a-z]{2,11}$")


def _templated(rng: random.Random) -> str:
    text = rng.choice(_TEMPLATES).format(place=rng.choice(_PLACES), where=rng.choice(_WHERE),
                                         time=rng.choice(_TIMES), n=rng.choice(_NUMBERS),
                                         side=rng.choice(["left", "right"]))
    return text[0].upper() + text[1:]


def _dictionary_words(cmudict: Path) -> list[str]:
    words = []
    for line in cmudict.read_text(encoding="utf-8", errors="replace").splitlines():
        word = line.split(" ", 1)[0]
        if _WORD.match(word):
            words.append(word)
    return sorted(set(words))


def _word_string(rng: random.Random, words: list[str]) -> str:
    n = rng.randint(4, 11)
    text = " ".join(rng.choice(words) for _ in range(n))
    return text[0].upper() + text[1:] + rng.choice([".", ".", "?", "!", ", and then."])


def _pack_answers(pack: Path) -> list[str]:
    data = yaml.safe_load(pack.read_text(encoding="utf-8"))
    out = []
    for intent in data.get("intents", []):
        for answer in (intent.get("answer") or {}).get("en", []):
            out.append(re.sub(r"\[[a-z_]+\]\s*", "", str(answer)))
    return out


def sentences(count: int, seed: int, cmudict: Path, pack: Path | None = None) -> list[str]:
    rng = random.Random(seed)
    words = _dictionary_words(cmudict)
    answers = _pack_answers(pack) if pack else []
    out: list[str] = []
    while len(out) < count:
        roll = rng.random()
        if roll < 0.4:
            out.append(_templated(rng))
        elif roll < 0.5 and answers:
            out.append(rng.choice(answers))
        else:
            out.append(_word_string(rng, words))
    return out
