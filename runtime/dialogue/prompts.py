"""The kiosk's own lines (not venue answers), with default wording a pack may reword.

{a} and {b} in `clarify` are the two topics' titles; {language} in
`language_unavailable` is the language asked for.
"""

from __future__ import annotations

PROMPTS: dict[str, dict[str, str]] = {
    "clarify": {"en": "Do you mean {a}, or {b}?", "zh": "您是想问{a}，还是{b}？"},
    "repeat_nothing": {"en": "I have not said anything yet. What would you like to know?",
                       "zh": "我还没有说什么呢。您想了解什么？"},
    "language_switched": {"en": "Sure, I will speak English.", "zh": "好的，我说中文。"},
    "cannot_hear": {"en": "Sorry, I cannot hear you right now. Please try again in a moment.",
                    "zh": "抱歉，我现在听不清您说话，请稍后再试。"},
    "language_unavailable": {"en": "Sorry, I cannot listen in {language} at this kiosk yet.",
                             "zh": "抱歉，这台导览机暂时还听不懂{language}。"},
}
LANGUAGE_NAMES = {"en": {"en": "English", "zh": "英文"}, "zh": {"en": "Chinese", "zh": "中文"}}


def prompt(name: str, lang: str, overrides: dict[str, dict[str, str]], **values: str) -> str:
    text = overrides.get(name, {}).get(lang) or PROMPTS[name].get(lang) or PROMPTS[name]["en"]
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
