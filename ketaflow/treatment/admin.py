"""Managers edit protocols (with their sources and alert thresholds), the PRN formulary and staffing ratios.
Clinical records change only through the treatment services, so they are read-only here."""

from django.contrib import admin

from ketaflow.core.admin_site import ManagerModelAdmin, ReadOnlyModelAdmin
from ketaflow.treatment.models import Course, InfusionSession, LocationCapacity, PrnMedicine, Protocol


@admin.register(Protocol)
class ProtocolAdmin(ManagerModelAdmin):
    list_display = ["name", "pathway", "kind", "is_active"]
    list_filter = ["pathway", "kind", "is_active"]


@admin.register(PrnMedicine)
class PrnMedicineAdmin(ManagerModelAdmin):
    list_display = ["name", "usual_dose", "route", "indication", "is_active"]


@admin.register(LocationCapacity)
class LocationCapacityAdmin(ManagerModelAdmin):
    list_display = ["location", "chairs_per_nurse", "infusions_per_prescriber"]


@admin.register(Course)
class CourseAdmin(ReadOnlyModelAdmin):
    list_display = ["uuid", "protocol", "status", "location"]


@admin.register(InfusionSession)
class InfusionSessionAdmin(ReadOnlyModelAdmin):
    list_display = ["uuid", "location", "chair", "starts_at", "status"]
    list_filter = ["location", "status"]
