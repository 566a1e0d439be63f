"""Mandarin text → what a voice engine reads: Kokoro's phonemes, or tone-numbered pinyin for espeak-ng.

Both take text already made speakable (`zh_normalise.speakable_zh`: no digits or symbols left).

* `KokoroZhPhonemes` — the phoneme set Kokoro-82M v1.0 was trained on for Mandarin: misaki's
  pinyin→IPA with tone arrows (→ ↗ ↓ ↘ for tones 1-4), words separated by spaces. misaki 0.9's own
  v1.0 path (`ZHG2P()`) reads each character's dictionary tone; this adds the tone sandhi of
  misaki's v1.1 front end (3-3 → 2-3, 不 and 一, neutral tones) on jieba's words, without which
  "九点" (jiu2 dian3) is heard as "酒店" and "导览员" as "刀烂园" (Whisper base, measured).
* `espeak_pinyin` — "qing3 wen4 …" for espeak-ng's `cmn-latn-pinyin` voice. espeak-ng's `cmn`
  voice reads Han characters as English letter names on Debian, so it is never given any.
"""

from __future__ import annotations

import logging
import re

from runtime.shared.errors import ModelError

_LOGGER = logging.getLogger(__name__)
_HAN = re.compile(r"[\u3400-\u9fff]+")
_HAN_OR_OTHER = re.compile(r"[\u3400-\u9fff]+|[^\u3400-\u9fff]+")
_SYLLABLE = re.compile(r"^[a-zü]+[1-5]$")
# Chinese punctuation → the Latin marks both engines pause at (Kokoro's vocabulary has only these).
_PUNCTUATION = str.maketrans({"，": ", ", "、": ", ", "。": ". ", "．": ". ", "！": "! ", "？": "? ", "：": ": ",
                              "；": "; ", "…": "… ", "—": "—", "（": " (", "）": ") ", "“": " “", "”": "” ",
                              "《": " “", "》": "” ", "「": " “", "」": "” "})
_KEPT_MARKS = set(",.!?;:—…()“” ")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_MARK = re.compile(r" (?=[,.!?;:…)”])")
_NON_SYLLABIC = chr(0x32F)   # misaki's IPA marks the glide of a diphthong (ou̯); v1.0 was trained without it


FRONT_END = {"misaki": "misaki", "jieba": "jieba", "pypinyin": "pypinyin", "cn2an": "cn2an",
             "ordered_set": "ordered-set", "proces": "proces"}   # import name → pip name


def missing_front_end() -> list[str]:
    """The pip names of the Mandarin front end's packages that are not installed (none imported)."""
    import importlib.util
    return [pip for module, pip in FRONT_END.items() if importlib.util.find_spec(module) is None]


def latin_punctuation(text: str) -> str:
    return text.translate(_PUNCTUATION)


def espeak_pinyin(text: str) -> str:
    """Tone-numbered pinyin syllables and Latin punctuation; no Han character survives."""
    from pypinyin import Style, lazy_pinyin
    out = []
    for piece in _HAN_OR_OTHER.findall(latin_punctuation(text)):
        if _HAN.fullmatch(piece):
            syllables = lazy_pinyin(piece, style=Style.TONE3, neutral_tone_with_five=True)
            out.append(" " + " ".join(s for s in syllables if _SYLLABLE.match(s)) + " ")
        else:
            out.append(piece)
    return _SPACES.sub(" ", _HAN.sub(" ", "".join(out))).strip()


class KokoroZhPhonemes:
    """Callable: speakable Mandarin text → a Kokoro v1.0 phoneme string (see the module doc)."""

    def __init__(self):
        try:
            import jieba
            _mapped_tables(jieba)
            from misaki.tone_sandhi import ToneSandhi
            from misaki.zh import ZHG2P
            from pypinyin import Style, lazy_pinyin
        except ImportError as err:
            raise ModelError(f"kokoro zh: the Mandarin front end is not installed ({err}); "
                             "pip install --no-deps misaki==0.9.4, then jieba cn2an ordered-set pypinyin "
                             "(scripts/setup.sh does)") from err
        import jieba.posseg
        self._cut, self._sandhi, self._ipa = jieba.posseg.lcut, ToneSandhi(), ZHG2P.py2ipa
        self._pinyin, self._style = lazy_pinyin, Style

    def __call__(self, text: str) -> str:
        out = []
        for piece in _HAN_OR_OTHER.findall(latin_punctuation(text)):
            if _HAN.fullmatch(piece):
                out.append(" " + " ".join(filter(None, map(self._word, self._words(piece)))) + " ")
            else:
                out.append("".join(c for c in piece if c in _KEPT_MARKS))
        return _SPACE_BEFORE_MARK.sub("", _SPACES.sub(" ", "".join(out))).strip()

    def _words(self, han: str) -> list[tuple[str, str]]:
        """jieba's words with their part of speech, merged where tone sandhi spans words."""
        return [(w, p) for w, p in self._sandhi.pre_merge_for_modify([(p.word, p.flag) for p in self._cut(han)])]

    def _word(self, word_pos: tuple[str, str]) -> str:
        word, pos = word_pos
        syllables = self._pinyin(word, style=self._style.TONE3, neutral_tone_with_five=True)
        finals = self._pinyin(word, style=self._style.FINALS_TONE3, neutral_tone_with_five=True)
        if len(syllables) == len(finals) == len(word):
            finals = [f or s for f, s in zip(finals, syllables)]      # 嗯 (n2) has no final in pypinyin
            try:
                finals = self._sandhi.modified_tone(word, pos, finals)
            except (IndexError, KeyError, ValueError):                 # an odd word: its dictionary tones
                _LOGGER.debug("kokoro zh: no tone sandhi for %r", word)
            syllables = [s[:-1] + f[-1] if f[-1:].isdigit() and s[-1:].isdigit() else s
                         for s, f in zip(syllables, finals)]
        return "".join(self._ipa(s) for s in syllables if _SYLLABLE.match(s)).replace(_NON_SYLLABIC, "")


def _mapped_tables(jieba) -> None:
    """jieba's and pypinyin's dictionaries from mapped tables (`zh_word_table`), else loaded by the
    packages themselves (~110 MB and ~40 MB more resident), said in the log. Before misaki imports
    pypinyin."""
    from . import zh_word_table as tables
    from .aligned_voice import cache_root
    jieba.setLogLevel(logging.WARNING)     # its dictionary load prints to stderr otherwise
    path, how = tables.word_table("jieba-words", cache_root())
    try:
        if path is None:
            raise ValueError(how)
        tables.install_jieba(path)
        _LOGGER.info("kokoro zh: jieba's dictionaries mapped from %s (%s)", path, how)
    except (OSError, ValueError, KeyError) as err:
        _LOGGER.warning("kokoro zh: %s; jieba loads its own dictionaries (~110 MB more resident memory)", err)
        jieba.initialize()                 # ~0.6 s once: at load, not in the first answer
    if tables.pypinyin_mapped():
        return
    path, how = tables.word_table("pypinyin-phrases", cache_root())
    try:
        if path is None:
            raise ValueError(how)
        if tables.import_pypinyin(path):
            _LOGGER.info("kokoro zh: pypinyin's phrases mapped from %s (%s)", path, how)
        else:
            _LOGGER.info("kokoro zh: pypinyin was imported before, or is not version %s: its own phrases "
                         "(~40 MB)", tables.PYPINYIN_CHECKED)
    except (OSError, ValueError, KeyError) as err:
        _LOGGER.warning("kokoro zh: %s; pypinyin loads its own phrases (~40 MB more resident memory)", err)
