"""Validation of the Finnish personal identity code, phone numbers and addresses."""

from __future__ import annotations

import datetime as dt
import re

from core.i18n import N_

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY_SIGNS = {
    "+": 1800,
    "-": 1900, "U": 1900, "V": 1900, "W": 1900, "X": 1900, "Y": 1900,
    "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000,
}  # fmt: skip
IDENTITY_CODE = re.compile(r"^(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-Y])$")


def normalise_identity_code(value: str) -> str:
    return value.strip().upper()


def identity_code_problem(value: str) -> str | None:
    """None for a valid henkilötunnus (2023 century signs included), else what is wrong."""
    match = IDENTITY_CODE.match(normalise_identity_code(value))
    if not match:
        return N_("Enter the identity code as DDMMYYCZZZQ, for example 010150-123A.")
    day, month, year, sign, individual, check = match.groups()
    try:
        dt.date(CENTURY_SIGNS[sign] + int(year), int(month), int(day))
    except ValueError:
        return N_("The date of birth in the identity code does not exist.")
    if individual in ("000", "001"):
        return N_("The individual number of the identity code must be 002–999.")
    if CHECK_CHARS[int(day + month + year + individual) % 31] != check:
        return N_("The check character of the identity code is wrong; check for typing errors.")
    return None


def birth_date(identity_code: str) -> dt.date:
    code = normalise_identity_code(identity_code)
    century = CENTURY_SIGNS[code[6]]
    return dt.date(century + int(code[4:6]), int(code[2:4]), int(code[0:2]))


def looks_like_identity_code(value: str) -> bool:
    return bool(IDENTITY_CODE.match(normalise_identity_code(value)))


def mask_identity_code(identity_code: str) -> str:
    """The date part only, for lists: 010150-****."""
    return identity_code[:7] + "****" if identity_code else ""


def normalise_phone(value: str) -> str | None:
    """E.164 form (+358401234567) of a Finnish or international number, or None if invalid."""
    compact = re.sub(r"[\s\-().]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("0"):
        compact = "+358" + compact[1:]
    if not re.fullmatch(r"\+[1-9]\d{6,14}", compact):
        return None
    if compact.startswith("+358") and not 9 <= len(compact) <= 13:
        return None
    return compact


def phone_digits(phone: str) -> str:
    """Digits a person would type when searching: Finnish numbers in their national form."""
    if phone.startswith("+358"):
        return "0" + phone[4:]
    return phone.lstrip("+")


def is_postal_code(value: str) -> bool:
    return postal_code_problem(value) is None


def postal_code_problem(value: str) -> str | None:
    if value and not re.fullmatch(r"\d{5}", value):
        return N_("A postal code has five digits, for example 60100.")
    return None
