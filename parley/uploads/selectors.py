"""Upload reads: who may fetch a file."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common.errors import NotFound
from parley.rooms.models import Membership
from parley.uploads.models import Upload

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
