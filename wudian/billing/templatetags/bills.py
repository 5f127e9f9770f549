"""Numbers of a bill as people write them: kWh without trailing zeros, yuan to the fen."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def kwh(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = f"{Decimal(value):.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@register.filter
def yuan(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):.2f}"


@register.filter
def price(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):.4f}"


@register.filter
def magnitude(value: Decimal | None) -> Decimal | None:
    return None if value is None else abs(value)
