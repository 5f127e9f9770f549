"""Reads of the grid for pages and endpoints: households as one viewer may see them, the
public compound search, compound lists. Scope comes from wudian.grid.scope."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from wudian.accounts.models import RoleCode, User
from wudian.core.privacy import mask_account_no, mask_name, mask_phone, mask_room
from wudian.grid.models import Compound, Household
from wudian.grid.scope import (
    Purpose,
    assignments_in,
    households_for,
    households_reached,
    own_households,
)


@dataclass(frozen=True)
class HouseholdView:
    """A household as one viewer may see it: contact data is masked for anyone who does not
    serve the household."""

    household: Household
    masked: bool

    @property
    def phone(self) -> str:
        return mask_phone(self.household.phone) if self.masked else self.household.phone

    @property
    def account_no(self) -> str:
        account_no = self.household.account_no
        return mask_account_no(account_no) if self.masked else account_no

    @property
    def holder_name(self) -> str:
        name = self.household.holder_name
        return mask_name(name) if self.masked else name

    @property
    def address(self) -> str:
        if not self.masked:
            return self.household.address
        building = self.household.building
        return f"{building.compound.address} {building.compound.name} {building.name} " + (
            mask_room(self.household.unit + self.household.room)
        )


def household_views_for(user: User, households: list[Household]) -> list[HouseholdView]:
    """Wrap households for display; one query decides which of them the user serves."""
    served = households_reached(user, Purpose.SERVE, [h.pk for h in households])
    return [HouseholdView(household=h, masked=h.pk not in served) for h in households]


# Pages: search, the public window, the desk ------------------------------------------------

ACCOUNT_NO_RE = re.compile(r"^\d{10,16}$")
COMPOUND_SEARCH_LIMIT = 20
SEARCH_MAX_LENGTH = 50


# Spaces people type to group the digits of an account number, as printed on a bill.
_DIGIT_GROUPING = re.compile(r"[\s\u3000]+")


def account_number_text(query: str) -> str:
    """The query without the spaces that group its digits, if what is left is all digits;
    else the query as it was."""
    digits = _DIGIT_GROUPING.sub("", query)
    return digits if digits.isdigit() else query.strip()


def search_text_problem(query: str) -> str:
    """Why a search text typed by a user cannot be searched, or "" when it can."""
    if len(query) > SEARCH_MAX_LENGTH:
        return _("Please type at most %(count)d characters.") % {"count": SEARCH_MAX_LENGTH}
    if any(ord(char) < 32 for char in query):
        return _("The search text contains characters that cannot be searched.")
    digits = account_number_text(query)
    if digits.isdigit() and not ACCOUNT_NO_RE.fullmatch(digits):
        return _("An account number has 10 to 16 digits. Please check it and try again.")
    return ""


def is_account_number(query: str) -> bool:
    return bool(ACCOUNT_NO_RE.fullmatch(account_number_text(query)))


def compounds_matching(
    query: str, *, user: User | AnonymousUser, limit: int = COMPOUND_SEARCH_LIMIT
) -> list[Compound]:
    """Search for a compound by part of its name or address, or by an exact account number.
    An account number finds its compound only for a logged-in user who sees that household in
    full (serves it, or it is theirs), never for an anonymous visitor: otherwise anyone could
    try numbers to learn which exist and where. It never reveals the household itself."""
    query = query.strip()
    if not query:
        return []
    compounds = Compound.objects.select_related("community")
    if is_account_number(query):
        if not user.is_authenticated:
            return []
        households = households_for(user, Purpose.SERVE).filter(
            account_no=account_number_text(query)
        )
        return list(compounds.filter(pk__in=households.values("building__compound_id"))[:1])
    return list(
        compounds.filter(
            Q(name__icontains=query) | Q(address__icontains=query) | Q(code__iexact=query)
        ).order_by("name", "code")[:limit]
    )


# A building as people say it: "3", "3号楼", "3栋", "3幢"; a room: "502", "502室", "2-502",
# "2单元502" (unit and room).
_BUILDING_SUFFIX = re.compile(r"\s*(号楼|号|栋|幢|楼)$")
_ROOM = re.compile(r"^(?:(\d+)\s*(?:单元|-|－|/))?\s*(\d+)\s*室?$")
_PHONE_NOISE = re.compile(r"[\s\-()（）]+")


def phone_number_text(phone: str) -> str:
    """A phone number as households store it: without spaces, dashes, brackets or +86."""
    digits = _PHONE_NOISE.sub("", phone)
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    return digits


def _building_matches(text: str) -> Q:
    text = text.strip()
    number = _BUILDING_SUFFIX.sub("", text)
    names = {text, f"{number}号楼", f"{number}栋", f"{number}幢"}
    return Q(building__name__in=names) | Q(building__code__iexact=text)


def _room_matches(text: str) -> Q:
    found = _ROOM.match(text.strip())
    if found is None:
        return Q(room=text.strip())
    unit, room = found.groups()
    return Q(room=room, unit=unit) if unit else Q(room=room)


def households_found(
    user: User,
    *,
    account_no: str = "",
    compound: Compound | None = None,
    building: str = "",
    room: str = "",
    phone: str = "",
) -> QuerySet[Household]:
    """The households a member of staff serves that match what a caller told them: the
    account number; else the compound with the building and room; else the caller's phone.
    Only households the user serves are searched, so a phone number finds nobody else's."""
    households = households_for(user, Purpose.SERVE)
    if account_no.strip():
        return households.filter(account_no=account_number_text(account_no))
    if compound is not None:
        households = households.filter(building__compound=compound)
        if building.strip():
            households = households.filter(_building_matches(building))
        if room.strip():
            households = households.filter(_room_matches(room))
        return households
    if phone.strip():
        return households.filter(phone=phone_number_text(phone))
    return households.none()


@dataclass(frozen=True)
class SearchExamples:
    """What the search box offers as examples: part of a compound's name, and for a logged-in
    user an account number they may search for (one of their own, else one they serve)."""

    name: str
    account_no: str


def search_examples(user: User | AnonymousUser) -> SearchExamples:
    """Examples taken from the data, so that each of them finds something."""
    compound = Compound.objects.order_by("name", "code").only("name").first()
    # Two characters of a name are what people type; a whole name is a fine example too.
    name = compound.name[:2] if compound else ""
    account_no = ""
    if user.is_authenticated:
        mine = own_households(user).order_by("account_no").values_list("account_no", flat=True)
        served = households_for(user, Purpose.SERVE).order_by("account_no")
        account_no = mine.first() or served.values_list("account_no", flat=True).first() or ""
    return SearchExamples(name=name, account_no=account_no)


def compound_rows(compounds: QuerySet[Compound]) -> QuerySet[Compound]:
    """Compounds for a list: with community, household_count and manager_assignments
    (the customer manager, as a list of at most one), in a constant number of queries."""
    return (
        Compound.objects.filter(pk__in=compounds.values("pk"))
        .select_related("community", "property_company")
        .annotate(household_count=Count("buildings__households"))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=assignments_in(RoleCode.CUSTOMER_MANAGER).select_related("user"),
                to_attr="manager_assignments",
            )
        )
        .order_by("community__code", "code")
    )


@dataclass(frozen=True)
class ManagerLoad:
    """One customer manager and how many compounds they serve (the 1 + N structure)."""

    username: str
    name: str
    compound_count: int


def manager_loads(compounds: QuerySet[Compound]) -> list[ManagerLoad]:
    rows = (
        assignments_in(RoleCode.CUSTOMER_MANAGER, compounds=compounds)
        .values("user__username", "user__display_name")
        .annotate(compound_count=Count("compound", distinct=True))
        .order_by("-compound_count", "user__username")
    )
    return [
        ManagerLoad(
            username=row["user__username"],
            name=row["user__display_name"] or row["user__username"],
            compound_count=row["compound_count"],
        )
        for row in rows
    ]


def households_of_compound(compound: Compound, *, query: str = "") -> QuerySet[Household]:
    """A compound's households for its list, filtered by account number or room. The caller
    has checked that the compound is in the user's scope."""
    households = Household.objects.filter(building__compound=compound).select_related(
        "building__compound"
    )
    query = query.strip()
    if query.isdigit() and len(query) >= 5:
        households = households.filter(account_no__startswith=query)
    elif query:
        households = households.filter(
            Q(room__icontains=query) | Q(unit__icontains=query) | Q(building__name__icontains=query)
        )
    return households.order_by("building__code", "unit", "room", "pk")


def households_of_resident_detailed(user: User) -> QuerySet[Household]:
    """The user's own households with what a listing shows, in a stable order."""
    return (
        own_households(user)
        .select_related("building__compound", "station_area")
        .order_by("building__compound__code", "building__code", "unit", "room", "pk")
    )


def households_listed_for(
    user: User, *, compound: str | None = None, q: str | None = None
) -> QuerySet[Household]:
    """Households visible to the user, filtered for a listing, with what a listing shows.
    `q` matches an account number (any part) or a room number (exactly)."""
    households = households_for(user, Purpose.OVERSEE)
    if compound:
        households = households.filter(building__compound__code=compound)
    if q:
        households = households.filter(Q(account_no__contains=q) | Q(room=q))
    return households.select_related("building__compound", "station_area").order_by(
        "building__compound__code", "building__code", "unit", "room", "pk"
    )
