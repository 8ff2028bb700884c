"""Staff's view of rooms. Closing goes through the service, which tells every member and
the lobby; rooms are closed, never deleted (their history stays)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from parley.accounts.models import User
from parley.common.errors import ServiceError
from parley.rooms import services
from parley.rooms.models import Room


class ClosedFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Room]) -> list[tuple[str, Any]]:
        return [("open", _("Open")), ("closed", _("Closed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Room]) -> QuerySet[Room]:
        if self.value() == "open":
            return queryset.filter(closed_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "visibility", "owner", "last_seq", "created_at", "closed_at"]
    list_filter = [ClosedFilter, "visibility"]
    search_fields = ["name", "topic"]
    raw_id_fields = ["owner"]
    readonly_fields = ["name", "visibility", "owner", "last_seq", "created_at", "closed_at"]
    actions = ["close"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rooms are made by people, through the service that announces them

    def has_delete_permission(self, request: HttpRequest, obj: Room | None = None) -> bool:
        return False

    @admin.action(description=_("Close (members are told; history stays)"), permissions=["change"])
    def close(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        assert isinstance(request.user, User)
        done = 0
        for room in queryset.filter(closed_at__isnull=True):
            try:
                services.room_close(room_id=room.pk, actor=request.user)
            except ServiceError as exc:
                self.message_user(request, f"#{room.name}: {exc}", messages.ERROR)
                continue
            done += 1
        self.message_user(
            request,
            ngettext("Closed %(count)s room.", "Closed %(count)s rooms.", done) % {"count": done},
            messages.SUCCESS,
        )
