from __future__ import annotations

from typing import Any

from auditlog.signals import accessed
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from wudian.grid.models import (
    Building,
    Community,
    CommunityAssignment,
    Compound,
    CompoundAssignment,
    District,
    DistrictAssignment,
    DutyShift,
    Feeder,
    Household,
    HouseholdMembership,
    Meter,
    PropertyCompany,
    StationArea,
    Street,
)

# Users are picked with raw_id_fields: the user admin belongs to the accounts app and a
# site may hold tens of thousands of residents.


class DistrictAssignmentInline(admin.TabularInline):
    model = DistrictAssignment
    raw_id_fields = ["user"]
    extra = 0


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city"]
    list_filter = ["city"]
    search_fields = ["code", "name", "city"]
    inlines = [DistrictAssignmentInline]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "district"]
    list_filter = ["district"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["district"]


class CommunityAssignmentInline(admin.TabularInline):
    model = CommunityAssignment
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "street", "service_point_name", "service_point_phone"]
    list_filter = ["street__district", "street"]
    search_fields = ["code", "name", "service_point_name"]
    autocomplete_fields = ["street"]
    inlines = [CommunityAssignmentInline]


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "address"]
    search_fields = ["name", "phone"]


class BuildingInline(admin.TabularInline):
    model = Building
    extra = 0
    show_change_link = True


class CompoundAssignmentInline(admin.TabularInline):
    model = CompoundAssignment
    raw_id_fields = ["user"]
    extra = 0


class DutyShiftInline(admin.TabularInline):
    model = DutyShift
    raw_id_fields = ["electrician"]
    extra = 0


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community", "property_company", "building_count"]
    list_filter = ["community__street__district", "community", "property_company"]
    search_fields = ["code", "name", "address"]
    autocomplete_fields = ["community", "property_company"]
    inlines = [BuildingInline, CompoundAssignmentInline, DutyShiftInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Compound]:
        return (
            super()
            .get_queryset(request)
            .select_related("community", "property_company")
            .annotate(building_total=Count("buildings"))
        )

    @admin.display(description=_("buildings"), ordering="building_total")
    def building_count(self, obj: Compound) -> int:
        return obj.building_total  # type: ignore[attr-defined]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "compound", "floors"]
    list_filter = ["compound__community"]
    search_fields = ["code", "name", "compound__name", "compound__code"]
    autocomplete_fields = ["compound"]
    list_select_related = ["compound"]


class HouseholdMembershipInline(admin.TabularInline):
    model = HouseholdMembership
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["account_no", "compound_name", "building", "unit", "room", "holder_name"]
    list_filter = ["building__compound__community", "building__compound"]
    search_fields = ["=account_no", "holder_name", "phone", "address"]
    autocomplete_fields = ["building", "station_area"]
    list_select_related = ["building__compound"]
    inlines = [HouseholdMembershipInline]
    show_full_result_count = False

    @admin.display(description=_("compound"), ordering="building__compound__name")
    def compound_name(self, obj: Household) -> str:
        return obj.building.compound.name

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The form shows the special-group status: its reading goes into the audit log,
        through django-auditlog's own signal for a read."""
        response = super().change_view(request, object_id, form_url, extra_context)
        household = (getattr(response, "context_data", None) or {}).get("original")
        if request.method == "GET" and response.status_code == 200 and household is not None:
            accessed.send(sender=Household, instance=household)
        return response


@admin.register(Feeder)
class FeederAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "substation", "voltage_kv"]
    list_filter = ["substation"]
    search_fields = ["code", "name", "substation"]


@admin.register(StationArea)
class StationAreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "feeder", "capacity_kva"]
    list_filter = ["feeder"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["feeder", "compounds"]
    list_select_related = ["feeder"]


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = ["meter_no", "role", "station_area", "multiplier", "household"]
    list_filter = ["role", "station_area__feeder"]
    search_fields = ["=meter_no", "household__account_no"]
    autocomplete_fields = ["station_area", "household"]
    list_select_related = ["station_area", "household"]
    show_full_result_count = False


@admin.register(CompoundAssignment)
class CompoundAssignmentAdmin(admin.ModelAdmin):
    list_display = ["compound", "role", "user", "since"]
    list_filter = ["role", "compound__community"]
    search_fields = ["compound__name", "compound__code", "user__username", "user__display_name"]
    raw_id_fields = ["user"]
    autocomplete_fields = ["compound"]
    list_select_related = ["compound", "user"]


@admin.register(CommunityAssignment)
class CommunityAssignmentAdmin(admin.ModelAdmin):
    list_display = ["community", "user"]
    list_filter = ["community"]
    search_fields = ["community__name", "user__username", "user__display_name"]
    raw_id_fields = ["user"]
    autocomplete_fields = ["community"]
    list_select_related = ["community", "user"]


@admin.register(DistrictAssignment)
class DistrictAssignmentAdmin(admin.ModelAdmin):
    list_display = ["district", "user"]
    list_filter = ["district"]
    search_fields = ["district__name", "user__username", "user__display_name"]
    raw_id_fields = ["user"]
    autocomplete_fields = ["district"]
    list_select_related = ["district", "user"]


@admin.register(HouseholdMembership)
class HouseholdMembershipAdmin(admin.ModelAdmin):
    list_display = ["household", "user", "relation"]
    list_filter = ["relation"]
    search_fields = ["=household__account_no", "user__username", "user__display_name"]
    raw_id_fields = ["user"]
    autocomplete_fields = ["household"]
    list_select_related = ["household", "user"]
    show_full_result_count = False


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ["compound", "weekday", "electrician"]
    list_filter = ["weekday", "compound__community"]
    search_fields = ["compound__name", "compound__code", "electrician__username"]
    raw_id_fields = ["electrician"]
    autocomplete_fields = ["compound"]
    list_select_related = ["compound", "electrician"]
