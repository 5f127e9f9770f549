"""Masking of personal information for people who do not serve a household (PIPL)."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; 0552-1234567 → 0552-***4567."""
    if not phone:
        return ""
    digits = len(phone)
    if digits <= 4:
        return "*" * digits
    keep_head = 3 if not phone.startswith("0") else phone.find("-") + 1 or 4
    keep_tail = 4
    hidden = max(digits - keep_head - keep_tail, 1)
    return phone[:keep_head] + "*" * hidden + phone[-keep_tail:]


def mask_name(name: str) -> str:
    """张三 → 张*; 欧阳娜娜 → 欧***."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_account_no(account_no: str) -> str:
    """3400032052 → 34******52: enough to tell two households apart on a list, not to find
    one."""
    if len(account_no) <= 4:
        return "*" * len(account_no)
    return account_no[:2] + "*" * (len(account_no) - 4) + account_no[-2:]


def mask_email(email: str) -> str:
    """wang.jianguo@example.com → w***@example.com."""
    name, at, domain = email.partition("@")
    return f"{name[:1]}***{at}{domain}" if at else mask_name(email)


def mask_room(text: str) -> str:
    return "*" * max(len(text), 2) if text else ""
