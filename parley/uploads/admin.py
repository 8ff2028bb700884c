"""Staff's list of uploads: who put what where, and whether a message carries it."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from parley.uploads.models import Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "name", "content_type", "size", "room", "uploader", "message", "created_at"]
    list_select_related = ["room", "uploader"]
    list_filter = ["content_type"]
    search_fields = ["name", "uploader__username"]
    raw_id_fields = ["room", "uploader", "message"]
    readonly_fields = [
        "room",
        "uploader",
        "message",
        "name",
        "storage_name",
        "size",
        "content_type",
        "width",
        "height",
        "thumbnail_name",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Upload | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Upload | None = None) -> bool:
        return False  # a row deleted here would leave its file behind; delete the message instead
