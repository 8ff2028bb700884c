"""Your own profile (issue 17): name, picture, language, time zone; deleting the account;
downloading your data.

A change others can see (name, picture) is announced with one `user.updated` lobby
frame: one publish whatever the number of rooms, and every client that shows the
person (member lists, rendered messages) updates (docs/decisions.md, "Profiles").
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from functools import cache
from typing import IO, Any, Literal
from zoneinfo import available_timezones

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.avatars import AVATARS, UPLOAD_PREFIX, avatar_for, uploaded_name
from parley.accounts.models import DISPLAY_NAME_MAX, AuthToken, User
from parley.accounts.serializers import user_data
from parley.accounts.services import GUEST_PREFIX, NOT_AVAILABLE
from parley.common import languages
from parley.common.errors import Invalid, TooLarge
from parley.common.i18n import interpolate
from parley.common.names import clean_name
from parley.messaging import services as messaging
from parley.messaging.models import Message, Reaction
from parley.realtime import protocol, publish
from parley.rooms.models import Membership, Room
from parley.rooms.services import room_transfer, user_memberships_end

AVATAR_SIZE = 256
# Decoding a picture costs memory by its pixels, not its bytes: refuse huge canvases early.
AVATAR_MAX_PIXELS = 40_000_000
DELETE_BATCH = 500


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _announce(user: User) -> None:
    publish.lobby_frame(frame=protocol.user_updated(user=user_data(user)))


def profile_update(
    *,
    user: User,
    display_name: str | None = None,
    avatar: str | None = None,
    language: str | None = None,
    time_zone: str | None = None,
) -> User:
    """Change what was given; others hear of a new name or picture at once."""
    fields: list[str] = []
    if display_name is not None:
        name = clean_name(
            display_name, field="display_name", max_length=DISPLAY_NAME_MAX, label=_("display name")
        )
        if name.casefold() != user.shown_name.casefold():
            others = User.objects.exclude(pk=user.pk)
            taken = (
                name.lower().startswith(GUEST_PREFIX)
                or others.filter(username__iexact=name).exists()
                or others.filter(display_name__iexact=name, is_active=True).exists()
            )
            if taken:
                raise Invalid(_("Choose another name."), fields={"display_name": [NOT_AVAILABLE]})
        if name != user.display_name:
            user.display_name = name
            fields.append("display_name")
    if avatar is not None:
        if avatar not in AVATARS:
            raise Invalid(
                _("Pick one of the bundled avatars."),
                fields={"avatar": [interpolate(_("One of: %(values)s."), {"values": ", ".join(AVATARS)})]},
            )
        if avatar != user.avatar:
            _drop_uploaded(user.avatar)
            user.avatar = avatar
            fields.append("avatar")
    if language is not None:
        if not languages.is_language(language):
            raise Invalid(
                _("Choose a language."),
                fields={
                    "language": [
                        interpolate(_("One of: %(values)s."), {"values": ", ".join(languages.codes())})
                    ]
                },
            )
        user.language = language
        fields.append("language")
    if time_zone is not None:
        if time_zone not in time_zones():
            raise Invalid(
                _("Choose a time zone."),
                fields={"time_zone": [_("An IANA time zone name, e.g. Europe/Paris.")]},
            )
        user.time_zone = time_zone
        fields.append("time_zone")
    if fields:
        user.save(update_fields=fields)
        if {"display_name", "avatar"} & set(fields):
            _announce(user)
    return user


def _drop_uploaded(key: str) -> None:
    name = uploaded_name(key)
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


def avatar_upload(*, user: User, file: IO[bytes], size: int) -> User:
    """Make an uploaded picture the user's avatar: the centre square at 256 px, as PNG.

    Re-encoding drops everything but the pixels (EXIF, GPS, comments, any trailing
    payload), after turning the picture upright by its EXIF orientation."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if size > settings.AVATAR_UPLOAD_MAX_BYTES:
        mib = settings.AVATAR_UPLOAD_MAX_BYTES / (1024 * 1024)
        raise TooLarge(
            interpolate(_("The picture is too large (at most %(size)s MiB)."), {"size": f"{mib:g}"}),
            fields={"file": [_("Too large.")]},
        )
    not_image = Invalid(
        _("The file is not a picture (PNG, JPEG, GIF or WebP)."), fields={"file": [_("Not a picture.")]}
    )
    data = file.read(settings.AVATAR_UPLOAD_MAX_BYTES + 1)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in {"PNG", "JPEG", "GIF", "WEBP"}:
                raise not_image
            if probe.width * probe.height > AVATAR_MAX_PIXELS:
                raise Invalid(_("The picture has too many pixels."), fields={"file": [_("Too many pixels.")]})
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.seek(0)
            upright = ImageOps.exif_transpose(img)
            square = ImageOps.fit(
                upright.convert("RGBA"), (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS
            )
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise not_image from exc
    out = io.BytesIO()
    square.save(out, format="PNG", optimize=True)
    stem = secrets.token_hex(8)
    name = default_storage.save(f"avatars/{stem}.png", ContentFile(out.getvalue()))
    old = user.avatar
    user.avatar = f"{UPLOAD_PREFIX}{name.removeprefix('avatars/').removesuffix('.png')}"
    user.save(update_fields=["avatar"])
    _drop_uploaded(old)
    _announce(user)
    return user


# --- deleting the account -----------------------------------------------------------------


def account_delete(*, user: User, password: str | None, messages: Literal["keep", "delete"]) -> None:
    """Delete the account: every login and socket ends, the username is freed.

    The row stays, anonymised ("Deleted user", no address, no password, inactive):
    messages hold their sender with PROTECT, and a tombstone still needs one. With
    `messages="delete"` each message is deleted through the message service first, so
    members see tombstones and the log is rewritten as for any deletion. Rooms the
    user owns pass to their longest-standing active member, or close when none is left."""
    if messages not in ("keep", "delete"):
        raise Invalid(_("Choose keep or delete."), fields={"messages": [_("keep or delete")]})
    if not user.is_guest and not user.check_password(password or ""):
        raise Invalid(_("The password is wrong."), fields={"password": [_("Wrong password.")]})
    if messages == "delete":
        _messages_delete(user)
    with transaction.atomic():
        for room in Room.objects.filter(owner=user, closed_at__isnull=True).order_by("pk"):
            heir = (
                Membership.objects.filter(room=room, user__is_active=True)
                .exclude(user=user)
                .order_by("joined_at", "pk")
                .first()
            )
            if heir is not None:
                room_transfer(room_id=room.pk, actor=user, user_id=heir.user_id)
        user_memberships_end(user=user)  # closes the rooms nobody could take over
        _drop_uploaded(user.avatar)
        user.username = f"_deleted-{user.pk}"
        user.display_name = "Deleted user"
        user.email = ""
        user.email_verified = False
        user.digest_enabled = False
        user.avatar = avatar_for(user.username)
        user.first_name = user.last_name = ""
        user.set_unusable_password()  # also ends every session: their hash no longer matches
        user.is_active = False
        user.deleted_at = timezone.now()
        user.save()
        AuthToken.objects.filter(user=user).delete()
        publish.user_close(user_id=user.pk, auth_ids=None, reason="account deleted")
        _announce(user)


def _messages_delete(user: User) -> None:
    """Delete the user's messages in batches, each through `message_delete` (one room lock and
    one `message.deleted` each), so no transaction holds a room for the whole history."""
    last = 0
    while True:
        ids = list(
            Message.objects.filter(sender=user, pk__gt=last, deleted_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:DELETE_BATCH]
        )
        if not ids:
            return
        for message_id in ids:
            messaging.message_delete(actor=user, message_id=message_id, erasure=True)
        last = ids[-1]


# --- downloading your data ------------------------------------------------------------------


def export_chunks(*, user: User) -> Iterator[str]:
    """The user's data as one JSON document, produced piece by piece so a long history is
    streamed instead of held in memory: profile, memberships, messages, reactions."""
    profile = {
        **user_data(user),
        "email": user.email,
        "language": user.language,
        "time_zone": user.time_zone,
        "date_joined": user.date_joined.isoformat(),
    }
    yield '{"exported_at": ' + json.dumps(timezone.now().isoformat())
    yield ', "profile": ' + json.dumps(profile)
    memberships = [
        {"room": m.room_id, "room_name": m.room.name, "joined_at": m.joined_at.isoformat()}
        for m in Membership.objects.filter(user=user).select_related("room").order_by("joined_at")
    ]
    yield ', "memberships": ' + json.dumps(memberships)
    yield ', "messages": ['
    rows = (
        Message.objects.filter(sender=user, deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "room_id", "room__name", "seq", "body", "created_at", "edited_at")
    )
    for i, (pk, room_id, room_name, seq, body, created, edited) in enumerate(rows.iterator(chunk_size=1000)):
        item: dict[str, Any] = {
            "id": pk,
            "room": room_id,
            "room_name": room_name,
            "seq": seq,
            "body": body,
            "created_at": created.isoformat(),
            "edited_at": edited.isoformat() if edited else None,
        }
        yield ("," if i else "") + json.dumps(item)
    yield '], "reactions": ['
    reactions = (
        Reaction.objects.filter(user=user)
        .order_by("pk")
        .values_list("message_id", "message__room__name", "emoji", "created_at")
    )
    for i, (message_id, room_name, emoji, created) in enumerate(reactions.iterator(chunk_size=1000)):
        item = {
            "message": message_id,
            "room_name": room_name,
            "emoji": emoji,
            "created_at": created.isoformat(),
        }
        yield ("," if i else "") + json.dumps(item)
    yield "]}\n"
