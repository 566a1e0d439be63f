"""The language to answer a turn in: the one the recogniser heard it in, among those the kiosk serves.

A multilingual recogniser finds each turn's language (and keeps the kiosk's current one when it is
unsure: `runtime/asr/language_id.py`); a one-language recogniser always answers its own. The kiosk
answers in the heard language when the visitor's session can be answered in it.
"""

from __future__ import annotations

from runtime.asr.base import Recognizer


def heard_language(recognizer: Recognizer, current: str, serves: tuple[str, ...]) -> str:
    """The language of the turn that just ended: the recogniser's finding if the kiosk serves it,
    else `current`."""
    heard = getattr(recognizer, "heard_language", None)
    lang = heard() if heard is not None else current
    return lang if lang in serves else current
