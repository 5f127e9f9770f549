from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from wudian.analytics.models import ImportRun, MeterAnomaly, StationAreaDay

# The rows come from the engine through `wudian import_readings`; editing one by hand would
# make it disagree with the export it came from, so the admin only reads.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(StationAreaDay)
class StationAreaDayAdmin(ReadOnlyAdmin):
    list_display = [
        "station_area",
        "date",
        "supply_kwh",
        "user_kwh",
        "loss_rate",
        "collection_rate",
        "status",
    ]
    list_filter = ["status", "date"]
    search_fields = ["station_area__code", "station_area__name"]
    date_hierarchy = "date"
    list_select_related = ["station_area"]


@admin.register(MeterAnomaly)
class MeterAnomalyAdmin(ReadOnlyAdmin):
    list_display = [
        "meter",
        "date",
        "date_to",
        "kind",
        "register_kwh",
        "next_register_kwh",
        "workorder",
    ]
    list_filter = ["kind", "date"]
    search_fields = ["meter__meter_no"]
    date_hierarchy = "date"
    list_select_related = ["meter", "workorder__category"]
    raw_id_fields = ["workorder"]


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = [
        "file_name",
        "date_from",
        "date_to",
        "rows",
        "anomalies",
        "meters_not_collected",
        "requests_opened",
        "imported_by",
        "imported_at",
    ]
    list_select_related = ["imported_by"]
