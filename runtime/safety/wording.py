"""What the kiosk says for each safety kind, in the visitor's language, with the venue's own places.

National defaults (China): 110 police, 120 ambulance, 119 fire, 96110 anti-fraud hotline. A pack
gives its own places (`safety:` in faq.yaml: staff desk, first aid, security phone) and may add a
sentence to a kind's answer; it can never remove or replace the built-in wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .kinds import SafetyKind


@dataclass(frozen=True)
class VenueSafety:
    """A pack's `safety:` section: where help is at this venue, and what it adds to each answer."""
    staff_desk: dict[str, str] = field(default_factory=dict)     # lang -> "the service desk on the first floor"
    first_aid: dict[str, str] = field(default_factory=dict)      # lang -> "the first-aid room next to Gate B"
    security_phone: str = ""                                      # the venue's security number
    added: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> lang -> an extra sentence


DEFAULT_PLACES = {
    "staff_desk": {"en": "the nearest service desk", "zh": "最近的服务台"},
    "first_aid": {"en": "", "zh": ""},
}

WORDING = {
    SafetyKind.EMERGENCY: {
        "en": "This is an emergency. Please call 120 for an ambulance, 119 for a fire, or 110 for the police. "
              "I am calling a member of staff now.{first_aid}{security}",
        "zh": "这是紧急情况。请拨打120叫救护车，着火请拨打119，遇到危险请拨打110报警。我正在通知工作人员。{first_aid}{security}",
    },
    SafetyKind.LOST_CHILD: {
        "en": "I am calling a member of staff now. Please stay where you are, or go to {staff_desk}; "
              "the staff will help you find them. If you cannot find them soon, call the police on 110.{security}",
        "zh": "我正在通知工作人员。请您留在原地，或者到{staff_desk}，工作人员会帮您寻找。如果一时找不到，请拨打110报警。{security}",
    },
    SafetyKind.SCAM: {
        "en": "Please stop: this sounds like a scam. Do not transfer money, buy gift cards, scan a code, install an app "
              "or tell anyone a verification code. No police officer, bank or company will ask you to move money to "
              "a safe account. Call the anti-fraud hotline 96110, or the police on 110. "
              "A member of staff is coming to help you; you can also go to {staff_desk}.",
        "zh": "请先停一下：这很可能是诈骗。不要转账，不要买购物卡，不要扫码，不要下载软件，也不要把验证码告诉任何人。"
              "公安、银行和任何公司都不会让您把钱转到“安全账户”。请拨打反诈专线96110，或拨打110报警。"
              "工作人员马上过来帮您，您也可以到{staff_desk}。",
    },
    SafetyKind.PERSONAL_DATA: {
        "en": "Sorry, I cannot share anyone's personal information, recordings or camera footage. "
              "Please ask the staff at {staff_desk}; requests from the police go through the venue's management.",
        "zh": "抱歉，我不能提供任何人的个人信息、录音或监控录像。请到{staff_desk}咨询工作人员；"
              "警方调取资料请联系场馆管理方。",
    },
}

_SECURITY = {"en": " The venue's security: {phone}.", "zh": "场馆安保电话：{phone}。"}
_FIRST_AID = {"en": " First aid: {place}.", "zh": "急救点：{place}。"}


def safety_answer(kind: SafetyKind, lang: str, venue: VenueSafety) -> str:
    lang = lang if lang in WORDING[kind] else "en"
    desk = venue.staff_desk.get(lang) or DEFAULT_PLACES["staff_desk"][lang]
    aid = venue.first_aid.get(lang)
    text = WORDING[kind][lang].format(
        staff_desk=desk,
        first_aid=_FIRST_AID[lang].format(place=aid) if aid else "",
        security=_SECURITY[lang].format(phone=venue.security_phone) if venue.security_phone else "")
    extra = venue.added.get(kind.value, {}).get(lang)
    return f"{text} {extra}".strip() if extra and lang == "en" else text + (extra or "")
