"""Staff's view of messages and their history. Deleting goes through the service: the message
becomes a tombstone at its seq, a `message.deleted` event reaches every member, and its text
stays only here, in the edits log."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from parley.accounts.models import User
from parley.common.errors import ServiceError
from parley.messaging import services
from parley.messaging.models import Message, MessageEdit


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "room", "seq", "sender", "excerpt", "created_at", "edited_at", "deleted_at"]
    list_select_related = ["room", "sender"]
    search_fields = ["body", "sender__username"]
    raw_id_fields = ["room", "sender", "reply_to"]
    readonly_fields = [
        "room",
        "seq",
        "sender",
        "body",
        "client_id",
        "created_at",
        "edited_at",
        "deleted_at",
        "reply_to",
        "reply_excerpt",
        "mentions",
        "mentions_room",
    ]
    actions = ["delete_through_service"]

    @admin.display(description="body")
    def excerpt(self, obj: Message) -> str:
        return "(deleted)" if obj.deleted_at else obj.body[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False  # a row deleted here would leave a hole in the room's log

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_active and user.is_staff

    @admin.action(description="Delete (members see it go)", permissions=["moderate"])
    def delete_through_service(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        assert isinstance(request.user, User)
        done = 0
        for message in queryset.filter(deleted_at__isnull=True):
            try:
                if services.message_delete(actor=request.user, message_id=message.pk):
                    done += 1
            except ServiceError as exc:
                self.message_user(request, f"Message {message.pk}: {exc}", messages.ERROR)
        self.message_user(request, f"Deleted {done} message{'s' if done != 1 else ''}.", messages.SUCCESS)


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
