"""Your own profile (issue 17): name, picture, language, time zone, and the account's own
part of deleting it (the rest spans apps: `parley.actions.erasure`; downloading your data:
`parley.actions.export`).

A change others can see (name, picture) is announced with one `user.updated` lobby
frame: one publish whatever the number of rooms, and every client that shows the
person (member lists, rendered messages) updates (docs/decisions.md, "Profiles").
"""

from __future__ import annotations

import io
import secrets
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts import presence, signout
from parley.accounts.avatars import AVATARS, UPLOAD_PREFIX, avatar_for, uploaded_name
from parley.accounts.models import DISPLAY_NAME_MAX, SignIn, User
from parley.accounts.serializers import user_data
from parley.accounts.services import GUEST_PREFIX, NOT_AVAILABLE
from parley.accounts.zones import clean_time_zone
from parley.common import languages
from parley.common.errors import Invalid, TooLarge
from parley.common.i18n import interpolate
from parley.common.names import clean_name
from parley.realtime import protocol, publish

AVATAR_SIZE = 256
# "Not given" for the fields where None means "clear" (status, dnd_until).
UNSET: Any = object()
# Decoding a picture costs memory by its pixels, not its bytes: refuse huge canvases early.


def _announce(user: User) -> None:
    publish.lobby_frame(frame=protocol.user_updated(user=user_data(user)))


def profile_update(
    *,
    user: User,
    display_name: str | None = None,
    avatar: str | None = None,
    language: str | None = None,
    time_zone: str | None = None,
    status: dict[str, Any] | None = UNSET,
    dnd_until: Any = UNSET,
    away: bool | None = None,
    share_read_receipts: bool | None = None,
    push_hide_text: bool | None = None,
) -> User:
    """Change what was given; others hear of a new name, picture, status, do-not-disturb or
    away at once. Nothing is saved when any field is refused."""
    fields: list[str] = []
    now = timezone.now()
    if status is not UNSET:
        fields += presence.status_fields(user, status=status, now=now)
    if dnd_until is not UNSET:
        fields += presence.dnd_fields(user, until=dnd_until, now=now)
    if away is not None and away != user.away:
        user.away = away
        fields.append("away")
    if share_read_receipts is not None and share_read_receipts != user.share_read_receipts:
        user.share_read_receipts = share_read_receipts
        fields.append("share_read_receipts")
    if push_hide_text is not None and push_hide_text != user.push_hide_text:
        user.push_hide_text = push_hide_text
        fields.append("push_hide_text")
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
        user.time_zone = clean_time_zone(time_zone)
        fields.append("time_zone")
    if fields:
        user.save(update_fields=fields)
        if {"display_name", "avatar"} & set(fields):
            _announce(user)
        if {"status_emoji", "status_text", "status_expires_at", "dnd_until", "away"} & set(fields):
            presence.presence_announce(user_ids=[user.pk], users=[user])
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

    from parley.common import images

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
            probe.verify()
        # Shrunk at decode within IMAGE_DECODE_MAX_PIXELS (a header may claim any size), then
        # cropped: the centre square of a picture a few times the avatar's size looks the same.
        box = (AVATAR_SIZE * 4, AVATAR_SIZE * 4)
        small = images.small_copy(io.BytesIO(data), box, formats={"PNG", "JPEG", "GIF", "WEBP"})
        square = ImageOps.fit(small.convert("RGBA"), (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    except images.TooManyPixels as exc:
        message = _("The picture has too many pixels.")
        raise Invalid(message, fields={"file": [_("Too many pixels.")]}) from exc
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


def account_delete_check(*, user: User, password: str | None, messages: str) -> None:
    """Refuse a deletion before anything changes: an unknown choice, or a wrong password
    (guests have none)."""
    if messages not in ("keep", "delete"):
        raise Invalid(_("Choose keep or delete."), fields={"messages": [_("keep or delete")]})
    if not user.is_guest and not user.check_password(password or ""):
        raise Invalid(_("The password is wrong."), fields={"password": [_("Wrong password.")]})


def account_anonymise(*, user: User) -> None:
    """The account's part of its deletion (parley.actions.erasure.account_delete), once its
    rooms are handed on: every login and socket ends, the username is freed.

    The row stays, anonymised ("Deleted user", no address, no password, inactive):
    messages hold their sender with PROTECT, and a tombstone still needs one."""
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
    SignIn.objects.filter(user=user).delete()  # addresses and devices go with the account
    signout.account_end(user=user, reason=signout.ACCOUNT_DELETED)
    _announce(user)
