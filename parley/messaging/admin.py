"""Staff's view of messages and their history. Deleting goes through the service: the message
becomes a tombstone at its seq, a `message.deleted` event reaches every member, and its text
stays only here, in the edits log."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common.errors import ServiceError
from parley.messaging import reports, services
from parley.messaging.models import Message, MessageEdit, Report


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

    @admin.display(description=_("body"))
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

    @admin.action(description=_("Delete (members see it go)"), permissions=["moderate"])
    def delete_through_service(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        assert isinstance(request.user, User)
        done = 0
        for message in queryset.filter(deleted_at__isnull=True):
            try:
                if services.message_delete(actor=request.user, message_id=message.pk):
                    done += 1
            except ServiceError as exc:
                self.message_user(
                    request,
                    gettext("Message %(id)s: %(error)s") % {"id": message.pk, "error": exc},
                    messages.ERROR,
                )
        self.message_user(
            request,
            ngettext("Deleted %(count)s message.", "Deleted %(count)s messages.", done) % {"count": done},
            messages.SUCCESS,
        )


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


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The report queue in the admin. Resolving runs `report_resolve`, as the /moderation page
    does: the message is deleted through its service, the author is banned or deactivated
    through theirs, and every open report of the message is closed with the one action."""

    list_display = [
        "id",
        "status",
        "category",
        "excerpt",
        "room",
        "author",
        "reporter",
        "created_at",
        "action",
    ]
    list_filter = ["status", "category", "action"]
    list_select_related = ["message__room", "message__sender", "reporter"]
    search_fields = ["text", "message__body", "reporter__username", "message__sender__username"]
    readonly_fields = [
        "message", "reporter", "category", "text", "created_at",
        "status", "action", "resolved_by", "resolved_at",
    ]  # fmt: skip
    ordering = ["-id"]
    actions = ["dismiss", "delete_message", "ban_author", "deactivate_author"]

    @admin.display(description=_("message"))
    def excerpt(self, obj: Report) -> str:
        return "(deleted)" if obj.message.deleted_at else obj.message.body[:80]

    @admin.display(description=_("room"))
    def room(self, obj: Report) -> str:
        return obj.message.room.name

    @admin.display(description=_("author"))
    def author(self, obj: Report) -> str:
        return obj.message.sender.username

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Report | None = None) -> bool:
        return False  # the record of what was reported and done stays

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_active and user.is_staff

    def _resolve(self, request: HttpRequest, queryset: QuerySet[Report], action: str) -> None:
        assert isinstance(request.user, User)
        done = 0
        for report in queryset.filter(status=Report.Status.OPEN).order_by("id"):
            try:
                reports.report_resolve(actor=request.user, report_id=report.pk, action=action)
                done += 1
            except ServiceError as exc:  # resolved meanwhile with another report of its message, refused
                self.message_user(
                    request,
                    gettext("Report %(id)s: %(error)s") % {"id": report.pk, "error": exc},
                    messages.WARNING,
                )
        self.message_user(
            request,
            ngettext("Resolved %(count)s report.", "Resolved %(count)s reports.", done) % {"count": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Dismiss"), permissions=["moderate"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._resolve(request, queryset, Report.Action.DISMISS)

    @admin.action(description=_("Delete the message (members see it go)"), permissions=["moderate"])
    def delete_message(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._resolve(request, queryset, Report.Action.DELETE_MESSAGE)

    @admin.action(description=_("Ban the author from the room"), permissions=["moderate"])
    def ban_author(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._resolve(request, queryset, Report.Action.BAN_AUTHOR)

    @admin.action(description=_("Deactivate the author (sign out everywhere)"), permissions=["moderate"])
    def deactivate_author(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._resolve(request, queryset, Report.Action.DEACTIVATE_AUTHOR)
