"""Mandarin text as it is said aloud (pure): digits and symbols become Chinese words.

A voice reads Han characters; "14:30", "B1", "¥25" or "50%" in an answer would be skipped or
spelled as Latin letters. `speakable_zh` rewrites them the way a Mandarin speaker says them:

    14:30 → 十四点三十分     9:00-17:00 → 九点到十七点    2024年5月1日 → 二零二四年五月一日
    3F, 3楼, L3 → 三楼       B1 → 地下一层               ¥25.5, 25.5元 → 二十五点五元
    50% → 百分之五十         400-820-1234 → 四零零八二零幺二三四   2个 → 两个

Phone numbers are read digit by digit with 1 as 幺 (as a Mandarin speaker reads them out, so a
1 is not heard as 7); a year is read digit by digit; every other number as a cardinal.
"""

from __future__ import annotations

import re

DIGITS = "零一二三四五六七八九"
PHONE_ONE = "幺"
_UNITS = ((100_000_000, "亿"), (10_000, "万"))
_SMALL_UNITS = ((1000, "千"), (100, "百"), (10, "十"))
# Measure words after which 2 is 两, not 二 ("2个" → 两个).
_LIANG_BEFORE = ("个", "位", "张", "次", "天", "件", "条", "本", "台", "辆", "小时", "分钟", "周", "岁", "种",
                 "间", "部", "家", "只", "杯", "份", "瓶", "块", "元", "名", "人")

_TIME = r"(\d{1,2})[:：](\d{2})"
# 400-820-1234, 138 0013 8000, 010-12345678, 13800138000, 82001234; and any number said to be one
_PHONE = re.compile(r"(?<![\d.])(?:\d{3,4}[- ]\d{3,4}[- ]\d{4}|0\d{2,3}-\d{7,8}|1\d{10}|\d{7,8})(?![\d.])")
_CALL = re.compile(r"(电话|热线|拨打|致电|号码)(是|为)?([:：]?\s*)(\d[\d -]*\d)")
_TIME_RANGE = re.compile(_TIME + r"\s*[-–~～至]\s*" + _TIME)
_CLOCK = re.compile(r"(?<!\d)" + _TIME + r"(?!\d)")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)(\d{4})\s*年")
_BASEMENT = re.compile(r"(?<![A-Za-z])[Bb](\d{1,2})(?![\d.])\s*(?:层|楼|F\b)?")
_FLOOR = re.compile(r"(?<![A-Za-z\d])(?:(\d{1,3})\s*[Ff](?![A-Za-z])|[Ll](\d{1,3})(?![\d.A-Za-z]))\s*(?:层|楼)?")
_PRICE = re.compile(r"[¥￥]\s*(\d[\d,]*(?:\.\d+)?)")
_DOLLARS = re.compile(r"(?:US)?\$\s*(\d[\d,]*(?:\.\d+)?)")
_PERCENT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*[%％]")
_RANGE = re.compile(r"(\d+(?:\.\d+)?)\s*[-–~～]\s*(?=\d)")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def cardinal(n: int) -> str:
    """An integer as a Mandarin cardinal: 10 → 十, 110 → 一百一十, 1005 → 一千零五, 20000 → 两万, 2000 → 两千."""
    if n < 0:
        return "负" + cardinal(-n)
    if n == 0:
        return DIGITS[0]
    words = _cardinal(n)
    return words[1:] if words.startswith("一十") else words


def _cardinal(n: int) -> str:
    for size, unit in _UNITS:
        if n >= size:
            high, low = divmod(n, size)
            head = ("两" if high == 2 else _cardinal(high)) + unit
            if low == 0:
                return head
            return head + ("零" if low < size // 10 else "") + _cardinal(low)
    out, zero = "", False
    for size, unit in _SMALL_UNITS:
        digit, n = divmod(n, size)
        if digit:
            said = "两" if digit == 2 and unit == "千" and not out else DIGITS[digit]
            out += ("零" if zero else "") + said + unit
            zero = False
        elif out:
            zero = True
    if n:
        out += ("零" if zero and out else "") + DIGITS[n]
    return out


def number_words(text: str) -> str:
    """A written number ("1,200", "3.50", "07") as said: cardinal, then 点 and its digits one by one."""
    whole, _, fraction = text.replace(",", "").partition(".")
    said = cardinal(int(whole)) if whole else DIGITS[0]
    return said + ("点" + digit_words(fraction) if fraction else "")


def digit_words(digits: str, one: str = "一") -> str:
    return "".join(one if d == "1" else DIGITS[int(d)] for d in digits if d.isdigit())


def _with_liang(number: str, after: str, before: str = "") -> str:
    """两 for a lone 2 before a measure word (两个, 两元), 二 otherwise (二楼, 第二个)."""
    if number == "2" and after.startswith(_LIANG_BEFORE) and not before.endswith("第"):
        return "两"
    return number_words(number)


def _clock(hour: str, minute: str) -> str:
    said = ("两" if int(hour) == 2 else cardinal(int(hour))) + "点"
    m = int(minute)
    if m == 0:
        return said
    return said + ("零" if m < 10 else "") + cardinal(m) + "分"


def _sub_numbers(text: str) -> str:
    out, last = [], 0
    for m in _NUMBER.finditer(text):
        out.append(text[last:m.start()])
        out.append(_with_liang(m.group(), text[m.end():], text[:m.start()]))
        last = m.end()
    return "".join(out) + text[last:]


def speakable_zh(text: str) -> str:
    """`text` with every digit and symbol the voice cannot read written as Mandarin words."""
    text = _TIME_RANGE.sub(lambda m: _clock(m[1], m[2]) + "到" + _clock(m[3], m[4]), text)
    text = _CLOCK.sub(lambda m: _clock(m[1], m[2]), text)
    text = _ISO_DATE.sub(lambda m: f"{digit_words(m[1])}年{cardinal(int(m[2]))}月{cardinal(int(m[3]))}日", text)
    text = _YEAR.sub(lambda m: digit_words(m[1]) + "年", text)
    text = _CALL.sub(lambda m: m[1] + (m[2] or "") + m[3] + digit_words(m[4], one=PHONE_ONE), text)
    text = _PHONE.sub(lambda m: digit_words(m.group(), one=PHONE_ONE), text)
    text = _BASEMENT.sub(lambda m: "地下" + cardinal(int(m[1])) + "层", text)
    text = _FLOOR.sub(lambda m: cardinal(int(m[1] or m[2])) + "楼", text)
    text = _PRICE.sub(lambda m: _with_liang(m[1], "元") + "元", text)
    text = _DOLLARS.sub(lambda m: number_words(m[1]) + "美元", text)
    text = _PERCENT.sub(lambda m: "百分之" + number_words(m[1]), text)
    text = _RANGE.sub(lambda m: number_words(m[1]) + "到", text)
    return _sub_numbers(text)
