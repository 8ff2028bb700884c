"""Message reports: any member reports a message once; staff work through the queue.

A report is private between its reporter and staff: the reporter's answer carries
their own report only, never who else reported. Resolving one report resolves every
open report of the same message, with the one action staff took, each through the
service that owns it (so the effects are the usual ones: `message.deleted` logged
and published, `member.updated`/`member.left` announced, the author's sockets
closed).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts import services as accounts
from parley.accounts.models import User
from parley.common.errors import Conflict, Forbidden, Invalid, NotFound
from parley.common.i18n import interpolate
from parley.common.names import clean_name
from parley.messaging import selectors
from parley.messaging import services as messaging
from parley.messaging.models import Message, Report
from parley.rooms import moderation
from parley.rooms.models import Membership, Room

TEXT_MAX = 1000
A = Report.Action


def staff_only(actor: User) -> None:
    if not actor.is_staff:
        raise Forbidden(_("Only staff can see and resolve reports."), code="staff_only")


def report_create(*, reporter: User, message_id: int, category: str, text: str = "") -> Report:
    """Report a message of a room the reporter belongs to; once per reporter and message."""
    if category not in Report.Category.values:
        raise Invalid(
            _("Choose a reason."),
            fields={
                "category": [
                    interpolate(_("One of: %(values)s."), {"values": ", ".join(Report.Category.values)})
                ]
            },
        )
    text = clean_name(
        text, field="text", max_length=TEXT_MAX, label=_("note"), form="NFC", multiline=True, allow_blank=True
    )
    if category == Report.Category.OTHER and not text:
        raise Invalid(
            _("Say what is wrong."), fields={"text": [_("Describe the problem when the reason is Other.")]}
        )
    message = Message.objects.select_related("room").filter(pk=message_id).first()
    if message is None:
        raise NotFound(_("No such message."))
    if not Membership.objects.filter(room_id=message.room_id, user=reporter).exists():
        if message.room.visibility == Room.Visibility.PUBLIC:
            raise Forbidden(_("Join the room first."), code="not_member")
        raise NotFound(_("No such message."))
    if message.sender_id == reporter.pk:
        raise Invalid(_("You cannot report your own message."), code="own_message")
    if message.deleted:
        raise Conflict(_("The message was deleted."), code="message_deleted")
    try:
        with transaction.atomic():
            return Report.objects.create(message=message, reporter=reporter, category=category, text=text)
    except IntegrityError as exc:
        raise Conflict(_("You already reported this message."), code="already_reported") from exc


def report_resolve(*, actor: User, report_id: int, action: str, duration: int | None = None) -> Report:
    """Take `action` on a report's message or its author and close every open report of
    that message. Staff only."""
    staff_only(actor)
    if action not in A.values:
        raise Invalid(
            _("Choose an action."),
            fields={"action": [interpolate(_("One of: %(values)s."), {"values": ", ".join(A.values)})]},
        )
    with transaction.atomic():
        # Locked: of two staff resolving at once, the second finds it resolved.
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None:
            raise NotFound(_("No such report."))
        if report.status != Report.Status.OPEN:
            raise Conflict(_("This report was already resolved."), code="already_resolved")
        message = Message.objects.select_related("sender").get(pk=report.message_id)
        author = message.sender
        if action == A.DELETE_MESSAGE:
            messaging.message_delete(actor=actor, message_id=message.pk)
        elif action == A.MUTE_AUTHOR:
            moderation.member_mute(room_id=message.room_id, actor=actor, user_id=author.pk, duration=duration)
        elif action == A.BAN_AUTHOR:
            moderation.member_ban(room_id=message.room_id, actor=actor, user_id=author.pk)
        elif action == A.DEACTIVATE_AUTHOR:
            if author.is_staff or author.pk == actor.pk:
                raise Forbidden(_("Staff accounts are not deactivated from reports."), code="target_is_staff")
            accounts.user_deactivate(user=author)
        Report.objects.filter(message=message, status=Report.Status.OPEN).update(
            status=Report.Status.RESOLVED, action=action, resolved_by=actor, resolved_at=timezone.now()
        )
    report.refresh_from_db()
    return report


def report_context(
    *, actor: User, report_id: int, limit: int = 50
) -> tuple[Report, list[Message], bool, bool]:
    """Staff read the reported message among its neighbours, in any room, member or not.

    A thread reply's neighbours are its thread's (the root and the other replies).
    Read-only: the queue is where staff act, and they must judge a report by what was said
    around it without joining the room (a private room would refuse them, and joining
    would announce them). Returns the report, the page (oldest first) and whether older
    and newer messages exist.
    """
    staff_only(actor)
    report = Report.objects.select_related("message__room").filter(pk=report_id).first()
    if report is None:
        raise NotFound(_("No such report."))
    message = report.message
    page, older, newer = selectors.history_around(
        room=message.room,
        viewer=actor,
        around_seq=message.seq,
        limit=limit,
        thread=message.thread_id,  # a thread reply is judged among its thread (root included)
    )
    return report, page, older, newer
