"""Staff's view of message history: every earlier version of an edited or deleted message."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from parley.messaging.models import MessageEdit


@admin.register(MessageEdit)
class MessageEditAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["message", "action", "editor", "edited_at"]
    list_filter = ["action"]
    search_fields = ["body_before"]
    raw_id_fields = ["message", "editor"]
    readonly_fields = ["message", "action", "body_before", "editor", "edited_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: MessageEdit | None = None) -> bool:
        return False
