"""Enquiries (leads): 申请入会 / 请联系我, with explicit consent, then company, name, phone.

The steps are pure functions over the session; the engine wires them in and the caller
stores the finished enquiry with the person's last assessment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from dialogs.parsing import normalize

LeadKind = Literal["join", "callme"]
STEPS = ("lead_consent", "lead_company", "lead_name", "lead_phone")
MAX_FIELD_CHARS = 100

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")
_LOCAL = re.compile(r"[2-9]\d{7}")  # an 8-digit Guangzhou number without its area code


@dataclass(frozen=True, slots=True)
class LeadRequest:
    kind: LeadKind
    company: str
    contact: str
    phone: str


def normalize_phone(text: str) -> str | None:
    """A mainland mobile or landline number in one canonical form, or None.

    Mobiles become 11 digits; landlines `0AA-NNNNNNNN`; an 8-digit number is taken as a
    Guangzhou (020) landline. Spaces, dashes, brackets and a +86 / 0086 prefix are ignored.
    """
    digits = re.sub(r"[\s\-()（）.]", "", normalize(text))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not digits.isdigit():
        return None
    if _MOBILE.fullmatch(digits):
        return digits
    if _LANDLINE.fullmatch(digits):
        area_len = 3 if digits[1] in "12" else 4  # 010, 020–029 have 3 digits; others 4
        return f"{digits[:area_len]}-{digits[area_len:]}"
    if _LOCAL.fullmatch(digits):
        return f"020-{digits}"
    return None


def clean_field(text: str) -> str | None:
    """A company or person name: trimmed, 1–100 characters, no control characters."""
    value = normalize(text)
    value = "".join(ch for ch in value if ch.isprintable())
    if not value or len(value) > MAX_FIELD_CHARS or value.startswith("/"):
        return None
    return value
