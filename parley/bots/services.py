"""Slash commands, bot replies and webhooks: the writes of the bots app.

Interfaces call `command_run` only for bodies that start with `/` or `!` (see
`commands.py`); a plain message never comes here. Built-in commands call the services
that own the state they change; bot commands and outgoing webhooks store the asker's
message like any other and hand a job to the runner, whose answer comes later as the
bot's message (a reply to the command).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from parley.accounts import profile
from parley.accounts import services as accounts
from parley.accounts.avatars import DEFAULT_AVATAR
from parley.accounts.models import User
from parley.bots import commands, reminders, runner, selectors
from parley.bots.handlers import Answer, Call
from parley.bots.models import Bot, IncomingWebhook, OutgoingWebhook
from parley.common import safefetch
from parley.common.errors import Forbidden, Invalid, NotFound, RateLimited, ServiceError
from parley.messaging import scheduling
from parley.messaging import services as messaging
from parley.messaging.models import BODY_MAX, Message
from parley.realtime import runtime
from parley.rooms import services as rooms
from parley.rooms.models import Room
from parley.rooms.selectors import room_for_member
from parley.uploads.services import upload_create

log = logging.getLogger(__name__)

TASK = "parley.bots.tasks.bot_job"


@dataclass(frozen=True)
class CommandOutcome:
    """What the sender gets: a stored message (its ack), a notice only they see, or both."""

    command: str
    result: messaging.SendResult | None = None
    notice: str = ""
    level: Literal["info", "error"] = "info"


# --- bot users --------------------------------------------------------------------------


def _new_bot_user(*, username: str, display_name: str) -> User:
    base = username[:24]
    name = base
    while User.objects.filter(username__iexact=name).exists():
        name = f"{base}-{secrets.token_hex(3)}"
    user = User(username=name, display_name=display_name[:64], avatar=DEFAULT_AVATAR, is_bot=True)
    user.set_unusable_password()
    user.save()
    return user


def registered_bot_user(*, key: str) -> User:
    """The user a BOTS entry posts as, made on first use (its username is the key when free)."""
    return _keyed_bot_user(key=key, name=commands.registered()[key].name)


REMINDER_BOT = "reminder"


def reminder_bot_user() -> User:
    """The bot that sends reminders (`/remind me`) and tells people when a scheduled message
    could not be sent. Built in, not a BOTS entry: it answers no command of its own."""
    return _keyed_bot_user(key=REMINDER_BOT, name="Reminders")  # a name, like the BOTS entries


def _keyed_bot_user(*, key: str, name: str) -> User:
    # The oldest wins: MariaDB cannot enforce the partial unique key, so a race there may
    # leave a second row that is never used.
    found = Bot.objects.select_related("user").filter(key=key).order_by("pk").first()
    if found is not None:
        return found.user
    try:
        with transaction.atomic():
            user = _new_bot_user(username=key, display_name=name)
            Bot.objects.create(user=user, key=key)
    except IntegrityError:  # two first answers at once: the other one made it
        return Bot.objects.select_related("user").filter(key=key).order_by("pk")[0].user
    return user


def bot_account_create(
    *, actor: User, username: str, display_name: str, room_id: int | None
) -> tuple[User, str]:
    """A bot account for a program outside Parley: its user and an API token (shown once).

    Staff may make one anywhere; a room's owner makes one for their room (it joins it)."""
    if room_id is None and not actor.is_staff:
        raise Forbidden(
            _("Only staff create bots outside a room; a room's owner can create one for the room.")
        )
    if room_id is not None:
        room = room_for_member(user=actor, room_id=room_id)
        if room.owner_id != actor.pk and not actor.is_staff:
            raise Forbidden(_("Only the room's owner can add a bot to it."))
    if not accounts.USERNAME_RE.match(username):
        raise Invalid(
            _("Choose another username."),
            fields={
                "username": [_("3 to 30 letters, digits, '.', '_' or '-', starting with a letter or digit.")]
            },
        )
    if User.objects.filter(username__iexact=username).exists():
        raise Invalid(_("Choose another username."), fields={"username": [_("This name is not available.")]})
    with transaction.atomic():
        user = _new_bot_user(username=username, display_name=display_name or username)
        Bot.objects.create(user=user, room_id=room_id, created_by=actor)
        if room_id is not None:
            rooms.bot_join(room_id=room_id, bot=user)
        token = accounts.token_issue(user=user)
    return user, token


def bot_post(
    *,
    bot: User,
    room_id: int,
    body: str,
    reply_to: int | None = None,
    files: Sequence[tuple[str, bytes]] = (),
    thread: int | None = None,
) -> Message | None:
    """Post a bot's answer, with `files` (name, bytes) as its attachments; the bot joins the
    room first if it is not in it. `thread`: the thread it was called in (answered there).

    A bot sends under a person's allowance: a flood is refused (and logged), not queued."""
    if not runtime.current().limits.allow_send_sync(bot.pk):
        log.warning("bot %s is sending too fast; answer dropped in room %s", bot.username, room_id)
        return None
    body = body.strip()[:BODY_MAX] or "…"
    rooms.bot_join(room_id=room_id, bot=bot)
    try:
        attachments = [
            upload_create(uploader=bot, room_id=room_id, file=ContentFile(data, name=name), name=name).pk
            for name, data in files
        ]
        return messaging.message_send(
            sender=bot, room_id=room_id, body=body, reply_to=reply_to, attachments=attachments, thread=thread
        ).message
    except ServiceError as exc:  # the room closed, the replied-to message vanished...
        log.info("bot %s could not post in room %s: %s", bot.username, room_id, exc.message)
        return None


# --- commands ---------------------------------------------------------------------------


class Where(NamedTuple):
    """Where a command was posted, for a built-in that posts a message (`/me`)."""

    client_id: str | None
    reply_to: int | None
    thread: int | None


def command_run(
    *,
    user: User,
    room_id: int,
    body: str,
    client_id: str | None = None,
    reply_to: int | None = None,
    thread: int | None = None,
) -> CommandOutcome:
    """Run a body that starts with `/` or `!`.

    Built-ins answer with a notice (and `/me` with a message); a bot's command and a
    webhook's trigger store the message and queue the job; an unknown command stores
    nothing and answers with an error notice. A command called in a thread (`thread`) is
    stored there, and the bot answers there."""
    body = messaging.clean_body(body)
    parsed = commands.parse(body)
    if parsed is None:
        if body.startswith("//"):  # escaped: a plain message that triggers nothing
            result = messaging.message_send(
                sender=user,
                room_id=room_id,
                body=body[1:],
                client_id=client_id,
                reply_to=reply_to,
                thread=thread,
            )
            return CommandOutcome("", result=result)
        return _send_and_trigger(user, room_id, body, client_id, reply_to, thread, command="")
    name, args = parsed
    room = room_for_member(user=user, room_id=room_id)
    builtin = _BUILTINS.get(name)
    if builtin is not None:
        return builtin(user, room, args, Where(client_id, reply_to, thread))
    bot = commands.bot_commands().get(name)
    if bot is not None:
        outcome = _send_and_trigger(user, room_id, body, client_id, reply_to, thread, command=name)
        assert outcome.result is not None
        message = outcome.result.message
        if outcome.result.created:
            job = {
                "kind": "command",
                "bot": bot[0].key,
                "command": name,
                "args": args,
                "room": room_id,
                "user": user.pk,
                "user_name": user.shown_name,
                "message": message.pk,
                "thread": message.thread_id,  # the bot answers in the thread it was called in
                "language": user.language,
                "time_zone": user.time_zone,
            }
            _queue(job)
        return outcome
    outcome = _send_and_trigger(
        user, room_id, body, client_id, reply_to, thread, command=name, only_if_hook=True
    )
    if outcome.result is not None:
        return outcome
    return CommandOutcome(
        name,
        notice=gettext("Unknown command /%(name)s. Type /help to see this room's commands.") % {"name": name},
        level="error",
    )


def _queue(job: dict[str, Any]) -> None:
    """Hand the job to the runner once the message is committed (the job reads it)."""

    def submit() -> None:
        if not runner.submit(TASK, job_execute, job):
            log.warning("bot job refused (queue full): %s in room %s", job["kind"], job["room"])

    transaction.on_commit(submit)


def _send_and_trigger(
    user: User,
    room_id: int,
    body: str,
    client_id: str | None,
    reply_to: int | None,
    thread: int | None,
    *,
    command: str,
    only_if_hook: bool = False,
) -> CommandOutcome:
    """Store the message, then queue a delivery to each outgoing webhook it triggers."""
    word = commands.first_word(body)
    hooks = selectors.outgoing_hooks_for(room_id=room_id, word=word) if word.startswith(("/", "!")) else []
    if only_if_hook and not hooks:
        return CommandOutcome(command)
    result = messaging.message_send(
        sender=user, room_id=room_id, body=body, client_id=client_id, reply_to=reply_to, thread=thread
    )
    if result.created:
        for hook in hooks:
            job = {
                "kind": "outgoing",
                "hook": hook.pk,
                "message": result.message.pk,
                "room": room_id,
                "attempt": 0,
            }
            _queue(job)
    return CommandOutcome(command, result=result)


def _help(user: User, room: Room, args: str, at: Where) -> CommandOutcome:
    lines = [
        f"/{c.name}{' ' + c.usage if c.usage else ''} — {c.help}" + (f" ({c.bot})" if c.bot else "")
        for c in selectors.room_commands(room_id=room.pk)
    ]
    return CommandOutcome("help", notice=gettext("Commands in this room:") + "\n" + "\n".join(lines))


def _me(user: User, room: Room, args: str, at: Where) -> CommandOutcome:
    if not args:
        raise Invalid(_("Say what you are doing: /me waves."), fields={"body": [_("/me needs an action.")]})
    result = messaging.message_send(
        sender=user,
        room_id=room.pk,
        body=f"/me {args}",
        client_id=at.client_id,
        reply_to=at.reply_to,
        thread=at.thread,
    )
    return CommandOutcome("me", result=result)


def _topic(user: User, room: Room, args: str, at: Where) -> CommandOutcome:
    rooms.room_update(room_id=room.pk, actor=user, topic=args)
    return CommandOutcome(
        "topic",
        notice=gettext("Topic set: %(topic)s") % {"topic": args} if args else gettext("Topic cleared."),
    )


def _nick(user: User, room: Room, args: str, at: Where) -> CommandOutcome:
    if not args:
        raise Invalid(_("Give the name to show: /nick Ada."), fields={"body": [_("/nick needs a name.")]})
    user = profile.profile_update(user=user, display_name=args)  # others see the new name live
    return CommandOutcome(
        "nick", notice=gettext("You are now shown as %(name)s.") % {"name": user.shown_name}
    )


def _invite(user: User, room: Room, args: str, at: Where) -> CommandOutcome:
    name = args.split()[0].lstrip("@") if args else ""
    if not name:
        raise Invalid(
            _("Name who to invite: /invite @ada."), fields={"body": [_("/invite needs a username.")]}
        )
    membership = rooms.member_add(room_id=room.pk, actor=user, username=name)
    return CommandOutcome(
        "invite",
        notice=gettext("%(name)s was added to %(room)s.")
        % {"name": membership.user.shown_name, "room": room.name},
    )


def _leave(user: User, room: Room, args: str, at: Where) -> CommandOutcome:
    rooms.room_leave(room_id=room.pk, user=user)
    return CommandOutcome("leave", notice=gettext("You left %(room)s.") % {"room": room.name})


def _remind(user: User, room: Room, args: str, at: Where) -> CommandOutcome:
    """`/remind me in 10m <text>`: store a reminder, confirm it to the asker only, in their
    language and time zone; the reminder bot sends it in a DM when due."""
    zone = _zone(user.time_zone)
    try:
        found = reminders.parse(args, now=timezone.now(), zone=zone)
    except reminders.Passed:
        return CommandOutcome(
            "remind", notice=gettext("That time has already passed today; give a later one."), level="error"
        )
    except reminders.Unclear:
        return CommandOutcome("remind", notice=_remind_usage(), level="error")
    try:
        scheduling.reminder_create(author=user, body=found.text, send_at=found.when)
    except ServiceError as exc:
        return CommandOutcome("remind", notice=str(exc.message), level="error")
    # Translators: the confirmation of /remind; "when" is a date and time like 2026-12-08 09:00.
    notice = gettext("⏰ I will remind you at %(when)s (%(zone)s): %(text)s") % {
        "when": f"{found.when:%Y-%m-%d %H:%M}",
        "zone": zone.key,
        "text": found.text,
    }
    return CommandOutcome("remind", notice=notice)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _remind_usage() -> str:
    return "\n".join(
        [
            gettext("I did not understand when. Write the time first, then the text, for example:"),
            "/remind me in 10m " + gettext("call Ada"),
            "/remind me in 2 hours " + gettext("stretch"),
            "/remind me tomorrow at 9:00 " + gettext("stand-up"),
            "/remind me at 17:30 " + gettext("go home"),
            gettext("Also: 10分後, 明日 9:00, 10분 후, 내일 9시, 10分钟后, 明天 9:00."),
        ]
    )


_BUILTINS = {
    "help": _help,
    "me": _me,
    "topic": _topic,
    "nick": _nick,
    "invite": _invite,
    "leave": _leave,
    "remind": _remind,
}


# --- jobs (run by the runner: a pool thread or a Celery worker) -----------------------------


def job_execute(job: dict[str, Any]) -> None:
    """Run one queued job: a bot's command or one delivery to an outgoing webhook."""
    if job["kind"] == "command":
        _run_command(job)
    elif job["kind"] == "outgoing":
        _run_outgoing(job)
    else:
        log.error("unknown bot job %r", job.get("kind"))


def _run_command(job: dict[str, Any]) -> None:
    reg = commands.registered().get(job["bot"])
    if reg is None:  # unregistered since it was queued
        return
    call = Call(
        command=job["command"],
        args=job["args"],
        room_id=job["room"],
        user_id=job["user"],
        user_name=job["user_name"],
        message_id=job["message"],
        language=job.get("language") or settings.LANGUAGE_CODE,  # jobs queued before: the default
        time_zone=job.get("time_zone") or "UTC",
    )

    def handle() -> Any:  # on the runner's own thread, where the asker's language must be active too
        with translation.override(call.language):
            return reg.handler.handle(call)

    outcome = runner.run_limited(reg.key, handle)
    cmd = f"/{call.command}"
    picture: Answer | None = None
    with translation.override(call.language):
        if outcome.status == "ok":
            if outcome.value is None:
                return
            picture = outcome.value if isinstance(outcome.value, Answer) else None
            body = str(picture.text if picture else outcome.value)
        elif outcome.status == "error":
            log.error("bot %s failed on %s", reg.key, cmd, exc_info=outcome.error)
            body = gettext("Sorry, %(command)s failed.") % {"command": cmd}
        elif outcome.status == "timeout":
            log.warning("bot %s overran its time limit on %s", reg.key, cmd)
            body = gettext("Sorry, %(command)s took too long and was given up.") % {"command": cmd}
        else:
            log.warning("bot %s is busy; %s refused", reg.key, cmd)
            body = gettext("Sorry, %(bot)s is busy; try %(command)s again in a moment.") % {
                "bot": reg.name,
                "command": cmd,
            }
    bot = registered_bot_user(key=reg.key)
    files = [(picture.png_name, picture.png)] if picture else []
    bot_post(
        bot=bot,
        room_id=call.room_id,
        body=body,
        reply_to=call.message_id,
        files=files,
        thread=job.get("thread"),  # jobs queued before threads: none
    )


# --- incoming webhooks ------------------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def owner_room(room_id: int, actor: User) -> Room:
    """The room, if `actor` owns it: webhooks are the owner's to see and manage."""
    room = room_for_member(user=actor, room_id=room_id)
    if room.owner_id != actor.pk:
        raise Forbidden(_("Only the room's owner manages its webhooks."))
    return room


def _clean_name(name: str, default: str) -> str:
    name = " ".join(name.split())[:64]
    return name or default


def _hook_bot(*, room: Room, name: str, actor: User) -> User:
    """The bot a webhook posts as: its own user, named after the hook, a member of the room."""
    bot = _new_bot_user(username=f"hook-{secrets.token_hex(4)}", display_name=name)
    Bot.objects.create(user=bot, room=room, created_by=actor)
    rooms.bot_join(room_id=room.pk, bot=bot)
    return bot


def incoming_create(*, actor: User, room_id: int, name: str = "") -> tuple[IncomingWebhook, str]:
    """A new secret URL for the room; returns the hook and its secret (shown only now)."""
    room = owner_room(room_id, actor)
    name = _clean_name(name, "Webhook")
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        bot = _hook_bot(room=room, name=name, actor=actor)
        hook = IncomingWebhook.objects.create(
            room=room, user=bot, name=name, secret_hash=_hash(secret), created_by=actor
        )
    return hook, secret


def _owned_hook(model: type[Any], actor: User, hook_id: int) -> Any:
    hook = model.objects.select_related("room", "user").filter(pk=hook_id).first()
    if hook is None:
        raise NotFound(_("No such webhook."))
    owner_room(hook.room_id, actor)
    return hook


def incoming_rotate(*, actor: User, hook_id: int) -> tuple[IncomingWebhook, str]:
    """A new secret for the hook; the old URL stops working at once."""
    hook: IncomingWebhook = _owned_hook(IncomingWebhook, actor, hook_id)
    secret = secrets.token_urlsafe(32)
    hook.secret_hash = _hash(secret)
    hook.rotated_at = timezone.now()
    hook.save(update_fields=["secret_hash", "rotated_at"])
    return hook, secret


def incoming_revoke(*, actor: User, hook_id: int) -> None:
    """Delete the hook (its URL stops working); its bot's messages stay."""
    hook: IncomingWebhook = _owned_hook(IncomingWebhook, actor, hook_id)
    hook.delete()


def incoming_authenticate(*, hook_id: int, secret: str) -> IncomingWebhook:
    """The hook, if `secret` is its secret (compared in constant time); NotFound otherwise."""
    hook = IncomingWebhook.objects.select_related("user").filter(pk=hook_id).first()
    expected = hook.secret_hash if hook is not None else _hash("")
    if not hmac.compare_digest(_hash(secret), expected) or hook is None:
        raise NotFound(_("No such webhook."))
    return hook


def incoming_post(
    *, hook: IncomingWebhook, body: str, thread: int | None = None, also_to_room: bool = False
) -> Message:
    """Post `body` as the hook's bot (the caller proved the secret with `incoming_authenticate`),
    in the room or, with `thread`, as a reply in that thread of the hook's room."""
    if not runtime.current().limits.allow_send_sync(hook.user_id):
        raise RateLimited(
            _("This webhook is posting too fast; wait a moment."), retry_after=1 / settings.WS_SEND_RATE
        )
    return messaging.message_send(
        sender=hook.user, room_id=hook.room_id, body=body, thread=thread, also_to_room=also_to_room
    ).message


# --- outgoing webhooks --------------------------------------------------------------------


class DeliveryFailed(Exception):
    """A delivery that may succeed later (a network error, a 5xx, a 429): retried."""


def outgoing_signing_key(hook: OutgoingWebhook) -> str:
    """The hook's HMAC key: derived from SECRET_KEY and the hook's salt, never stored."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"parley-outgoing:{hook.salt}".encode(), hashlib.sha256
    ).hexdigest()


def check_url(url: str) -> None:
    """Refuse what is not http(s), and (unless BOT_WEBHOOK_ALLOW_PRIVATE) any host that
    resolves to a loopback, private, link-local or reserved address, an IPv6 form of one
    included: a room owner must not make the server call into its own network
    (parley.common.safefetch holds the rule; delivery connects to the address it checked)."""
    try:
        safefetch.check_url(url, allow_private=settings.BOT_WEBHOOK_ALLOW_PRIVATE)
    except safefetch.Refused as exc:
        if exc.reason == "scheme":
            message = _("Use an http or https URL.")
            raise Invalid(message, fields={"url": [message]}) from exc
        if exc.reason == "resolve":
            raise Invalid(
                _("That host does not resolve."), fields={"url": [_("That host does not resolve.")]}
            ) from exc
        raise Invalid(
            _("That URL points into a private network."),
            fields={"url": [_("Private, loopback and link-local addresses are not allowed.")]},
        ) from exc


def _clean_triggers(triggers: list[str]) -> list[str]:
    out = sorted({t.strip().lower() for t in triggers if t.strip()})
    bad = [t for t in out if not commands.TRIGGER_RE.match(t)]
    if not out or bad or len(out) > 10:
        raise Invalid(
            _("Triggers are 1 to 10 words starting with '/' or '!'."),
            fields={"triggers": [_("Give 1 to 10 words like /weather or !deploy.")]},
        )
    return out


def outgoing_create(
    *, actor: User, room_id: int, url: str, triggers: list[str], name: str = ""
) -> tuple[OutgoingWebhook, str]:
    """A hook that hears the room's messages starting with one of `triggers`; returns it and
    its signing key (shown only now)."""
    room = owner_room(room_id, actor)
    check_url(url)
    triggers = _clean_triggers(triggers)
    name = _clean_name(name, "Outgoing webhook")
    with transaction.atomic():
        bot = _hook_bot(room=room, name=name, actor=actor)
        hook = OutgoingWebhook.objects.create(
            room=room,
            user=bot,
            name=name,
            url=url,
            triggers=triggers,
            salt=secrets.token_hex(16),
            created_by=actor,
        )
    return hook, outgoing_signing_key(hook)


def outgoing_revoke(*, actor: User, hook_id: int) -> None:
    hook: OutgoingWebhook = _owned_hook(OutgoingWebhook, actor, hook_id)
    hook.delete()


def outgoing_deliver(*, hook_id: int, message_id: int) -> None:
    """POST one message to the hook, signed; post its JSON `{body}` answer back as the hook's bot.

    Raises DeliveryFailed when a retry may help. A revoked hook delivers nothing."""
    hook = OutgoingWebhook.objects.select_related("user").filter(pk=hook_id).first()
    message = Message.objects.select_related("sender").filter(pk=message_id).first()
    if hook is None or message is None or message.deleted:
        return
    word, _sep, rest = message.body.partition(" ")
    payload = json.dumps(
        {
            "hook": hook.pk,
            "room": hook.room_id,
            "trigger": word.lower(),
            "text": rest.strip(),
            "message": {
                "id": message.pk,
                "seq": message.seq,
                "body": message.body,
                "sender": {"id": message.sender_id, "username": message.sender.username},
            },
        },
        separators=(",", ":"),
    ).encode()
    signature = hmac.new(outgoing_signing_key(hook).encode(), payload, hashlib.sha256).hexdigest()
    try:
        answered = safefetch.fetch(
            "POST",
            hook.url,
            body=payload,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Parley-Webhook",
                "X-Parley-Signature": f"sha256={signature}",
            },
            timeout=settings.BOT_WEBHOOK_TIMEOUT,
            max_bytes=BODY_MAX * 4 + 1024,
            allow_private=settings.BOT_WEBHOOK_ALLOW_PRIVATE,
        )
    except safefetch.Refused as exc:
        if exc.reason == "resolve":  # perhaps for a moment: retried
            raise DeliveryFailed(str(exc)) from exc
        log.warning("outgoing webhook %s: URL refused (%s)", hook.pk, exc)
        return
    except OSError as exc:
        raise DeliveryFailed(str(exc)) from exc
    if answered.status >= 500 or answered.status == 429:
        raise DeliveryFailed(f"HTTP {answered.status}")
    if not 200 <= answered.status < 300:
        log.info("outgoing webhook %s refused with HTTP %s; not retried", hook.pk, answered.status)
        return
    answer = answered.body
    try:
        reply = json.loads(answer) if answer.strip() else None
    except ValueError:
        log.info("outgoing webhook %s answered with something that is not JSON", hook.pk)
        return
    if isinstance(reply, dict) and isinstance(reply.get("body"), str) and reply["body"].strip():
        bot_post(
            bot=hook.user,
            room_id=hook.room_id,
            body=reply["body"],
            reply_to=message.pk,
            thread=message.thread_id,  # answered in the thread it was triggered in
        )


def _run_outgoing(job: dict[str, Any]) -> None:
    try:
        outgoing_deliver(hook_id=job["hook"], message_id=job["message"])
    except DeliveryFailed as exc:
        attempt = int(job.get("attempt", 0)) + 1
        if attempt > settings.BOT_WEBHOOK_RETRIES:
            log.warning("outgoing webhook %s: giving up after %s attempts (%s)", job["hook"], attempt, exc)
            return
        delay = settings.BOT_WEBHOOK_BACKOFF * 2 ** (attempt - 1)
        log.info(
            "outgoing webhook %s: attempt %s failed (%s); again in %.1fs", job["hook"], attempt, exc, delay
        )
        runner.submit(TASK, job_execute, {**job, "attempt": attempt}, countdown=delay)
