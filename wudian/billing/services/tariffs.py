"""Tariffs saved only when whole and consistent: `tariff_check` is the one place a tariff's
rules live; `tariff_save` (callers with data) and the admin (its tier formset) both use it, so
a refused tariff is never partly saved. `tariff_in_force` finds the tariff of a month."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from wudian.billing import engine
from wudian.billing.models import Tariff, TariffTier
from wudian.core.errors import BadInput


@dataclass(frozen=True)
class TierInput:
    lower_kwh: Decimal | None
    upper_kwh: Decimal | None
    price: Decimal | None


def tariff_check(tariff: Tariff, tiers: Sequence[TierInput]) -> None:
    """Refuse (BadInput, every problem named by tier and field) a tariff whose tiers overlap,
    leave a gap, do not start at 0 or end open; a price that is not positive; a peak/valley
    option given by halves; dates that end before they start or overlap another tariff of the
    same region."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not tiers:
        add("tiers", _("A tariff needs at least one tier."))
    for n, tier in enumerate(tiers, start=1):
        key = f"tiers.{n}"
        if tier.lower_kwh is None:
            add(f"{key}.lower_kwh", _("Tier {n}: the lower bound is required.").format(n=n))
        if tier.price is None or tier.price <= 0:
            add(f"{key}.price", _("Tier {n}: the price must be above zero.").format(n=n))
        if tier.lower_kwh is not None and tier.lower_kwh < 0:
            add(f"{key}.lower_kwh", _("Tier {n}: the lower bound cannot be negative.").format(n=n))
        if (
            tier.lower_kwh is not None
            and tier.upper_kwh is not None
            and tier.upper_kwh <= tier.lower_kwh
        ):
            add(
                f"{key}.upper_kwh",
                _("Tier {n}: the upper bound must be above the lower bound.").format(n=n),
            )
        if n == 1 and tier.lower_kwh not in (None, 0):
            add(f"{key}.lower_kwh", _("Tier 1 must start at 0 kWh.").format(n=n))
        if n == len(tiers) and tier.upper_kwh is not None:
            add(
                f"{key}.upper_kwh",
                _("Tier {n} is the last: leave its upper bound empty.").format(n=n),
            )
        if n < len(tiers) and tier.upper_kwh is None:
            add(
                f"{key}.upper_kwh",
                _("Tier {n}: only the last tier may have no upper bound.").format(n=n),
            )
        if n > 1:
            previous = tiers[n - 2].upper_kwh
            if previous is not None and tier.lower_kwh is not None:
                if tier.lower_kwh > previous:
                    add(
                        f"{key}.lower_kwh",
                        _(
                            "Tier {n} starts at {lower} kWh but tier {p} ends at {upper} kWh: "
                            "a gap."
                        ).format(n=n, lower=tier.lower_kwh, p=n - 1, upper=previous),
                    )
                elif tier.lower_kwh < previous:
                    add(
                        f"{key}.lower_kwh",
                        _(
                            "Tier {n} starts at {lower} kWh but tier {p} ends at {upper} kWh: "
                            "they overlap."
                        ).format(n=n, lower=tier.lower_kwh, p=n - 1, upper=previous),
                    )
    for name, value in (("peak_price", tariff.peak_price), ("valley_price", tariff.valley_price)):
        if value is not None and value <= 0:
            add(name, _("The peak and valley prices must be above zero."))
    if (tariff.peak_price is None) != (tariff.valley_price is None):
        missing = "valley_price" if tariff.valley_price is None else "peak_price"
        add(missing, _("Give both the peak and the valley price, or neither."))
    if tariff.has_peak_valley and not (tariff.peak_hours and tariff.valley_hours):
        missing = "peak_hours" if not tariff.peak_hours else "valley_hours"
        add(missing, _("Describe the peak and the valley hours."))
    if tariff.effective_to is not None and tariff.effective_to < tariff.effective_from:
        add("effective_to", _("The tariff cannot end before it starts."))
    elif tariff.region and tariff.effective_from:
        others = Tariff.objects.filter(region=tariff.region).exclude(pk=tariff.pk)
        if tariff.effective_to is not None:
            others = others.filter(effective_from__lte=tariff.effective_to)
        clash = (
            others.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=tariff.effective_from))
            .order_by("effective_from")
            .first()
        )
        if clash is not None:
            add(
                "effective_from",
                _("These dates overlap the tariff “{name}” of {region} from {start}.").format(
                    name=clash.name, region=clash.region, start=clash.effective_from
                ),
            )
    if errors:
        raise BadInput(
            {key: [ValidationError(m, code="tariff") for m in ms] for key, ms in errors.items()}
        )


@transaction.atomic
def tariff_save(tariff: Tariff, tiers: Sequence[TierInput]) -> Tariff:
    """Save a tariff and replace its tiers, or refuse the whole (nothing saved)."""
    tariff_check(tariff, tiers)
    tariff.save()
    tariff.tiers.all().delete()
    TariffTier.objects.bulk_create(
        TariffTier(
            tariff=tariff,
            position=n,
            lower_kwh=cast(Decimal, tier.lower_kwh),  # checked above
            upper_kwh=tier.upper_kwh,
            price=cast(Decimal, tier.price),
        )
        for n, tier in enumerate(tiers, start=1)
    )
    return tariff


def tariff_spec(tariff: Tariff) -> engine.TariffSpec:
    """The engine's view of a saved tariff."""
    return engine.TariffSpec(
        annual=tariff.tier_period == Tariff.TierPeriod.ANNUAL,
        tiers=tuple(
            engine.Tier(t.position, t.lower_kwh, t.upper_kwh, t.price)
            for t in tariff.tiers.order_by("position")
        ),
        peak_price=tariff.peak_price,
        valley_price=tariff.valley_price,
        effective_from=tariff.effective_from,
        effective_to=tariff.effective_to,
    )


def tariff_in_force(month: datetime.date, region: str | None = None) -> Tariff:
    """The tariff of `region` in force on `month`; without a region, the only region's."""
    tariffs = Tariff.objects.filter(effective_from__lte=month).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=month)
    )
    if region is not None:
        tariffs = tariffs.filter(region=region)
    found = list(tariffs[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        raise BadInput({"month": _("No tariff is in force in {month:%Y-%m}.").format(month=month)})
    raise BadInput({"region": _("Several regions have tariffs: choose one.")})
