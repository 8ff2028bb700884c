"""Upload reads: who may fetch a file."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common.errors import NotFound
from parley.rooms.models import Membership
from parley.uploads.models import CustomEmoji, Upload

NOT_FOUND = _("No such file.")


def upload_for_viewer(*, viewer: User, upload_id: int) -> Upload:
    """The upload if the viewer may fetch it: a member of its room, and, until a message
    attaches it, only its uploader. Everyone else gets 404, whether or not it exists."""
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is None:
        raise NotFound(NOT_FOUND)
    if upload.message_id is None and upload.uploader_id != viewer.pk:
        raise NotFound(NOT_FOUND)
    if not Membership.objects.filter(room_id=upload.room_id, user=viewer).exists():
        raise NotFound(NOT_FOUND)
    return upload


def emoji_list() -> list[CustomEmoji]:
    """Every custom emoji, by name, with its creator (one query)."""
    return list(CustomEmoji.objects.select_related("creator").order_by("name"))


def emoji_exists(name: str) -> bool:
    return CustomEmoji.objects.filter(name=name).exists()


def emoji_file(*, emoji_id: int, filename: str) -> CustomEmoji | None:
    """The emoji whose picture this address names (`serializers.emoji_url`), or None."""
    found = CustomEmoji.objects.filter(pk=emoji_id).first() if 0 < emoji_id < 2**63 else None
    if found is None or found.storage_name.rsplit(".", 1)[-1] != filename.rsplit(".", 1)[-1]:
        return None
    return found if filename.rsplit(".", 1)[0] == found.name else None
