from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A room's name and topic, at most (characters, after clean_name): the columns, the services'
# checks and the limits the REST schema publishes are these (a test holds them equal).
NAME_MAX = 64
TOPIC_MAX = 250


class Room(models.Model):
    """A chat room. `last_seq` is the head of the room's event log (see messaging.RoomEvent)."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        PRIVATE = "private", _("Private")

    class Kind(models.TextChoices):
        ROOM = "room", _("Room")
        DIRECT = "direct", _("Direct")

    name = models.CharField(max_length=NAME_MAX, verbose_name=_("name"))
    topic = models.CharField(max_length=TOPIC_MAX, blank=True, verbose_name=_("topic"))
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC, verbose_name=_("visibility")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_rooms",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    last_seq = models.BigIntegerField(default=0, verbose_name=_("last seq"))
    # A direct message is a private room of fixed members; `dm_key` is their sorted ids
    # ("3,8,15"), unique, so two concurrent `POST dms` for one set of people make one room.
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.ROOM, verbose_name=_("kind"))
    dm_key = models.CharField(max_length=160, null=True, blank=True, unique=True, verbose_name=_("dm key"))
    # Members (not only the owner) may create invite links.
    members_can_invite = models.BooleanField(default=False, verbose_name=_("members can invite"))
    # Members (not only the owner and staff) may pin and unpin messages.
    members_can_pin = models.BooleanField(default=False, verbose_name=_("members can pin"))
    # Links in this room's messages get preview cards (when the server's LINK_PREVIEWS is on too).
    link_previews = models.BooleanField(default=True, verbose_name=_("link previews"))
    # Messages older than this many days are purged (issue 32); null = the server's default
    # (PURGE_OLDER_THAN, which may be off). Set by the owner within ROOM_RETENTION_*_DAYS.
    retention_days = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("retention days"))

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            # Only rooms have names people choose; a DM's name is derived from its members
            # and may repeat. (MariaDB: common/migrations/0002_mariadb_room_name_unique_rooms_only.)
            models.UniqueConstraint(
                Lower("name"), condition=Q(kind="room"), name="rooms_room_name_ci_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def is_direct(self) -> bool:
        return self.kind == self.Kind.DIRECT


class Notify(models.TextChoices):
    ALL = "all", _("All")
    MENTIONS = "mentions", _("Mentions")
    NOTHING = "nothing", _("Nothing")


class Membership(models.Model):
    # Covered by the (room, user) constraint and the (user, room) index below.
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="memberships", db_index=False, verbose_name=_("room")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,
        verbose_name=_("user"),
    )
    joined_at = models.DateTimeField(auto_now_add=True, verbose_name=_("joined at"))
    last_read_seq = models.BigIntegerField(default=0, verbose_name=_("last read seq"))
    # Muted by the owner or staff: reads, cannot write (messages, edits, reactions).
    # `muted` with no `muted_until` lasts until lifted; a past `muted_until` has ended.
    muted = models.BooleanField(default=False, verbose_name=_("muted"))
    muted_until = models.DateTimeField(null=True, blank=True, verbose_name=_("muted until"))
    # When to tell this member of a new message (browser notification, sound); DMs start at
    # "all", rooms at "mentions" (set when the membership is made).
    notify = models.CharField(
        max_length=8, choices=Notify.choices, default=Notify.MENTIONS, verbose_name=_("notify")
    )
    # A DM the member "left": its members are fixed, so leaving hides it from their list
    # until the next message in it (or the next `POST dms` for the same people).
    hidden = models.BooleanField(default=False, verbose_name=_("hidden"))

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="rooms_membership_unique")]
        indexes = [models.Index(fields=["user", "room"], name="rooms_membership_user_room")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id}"


class Ban(models.Model):
    """A person the room's owner or staff put out of the room: they cannot join or be added
    again until the ban is lifted (the row deleted)."""

    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="bans", db_index=False, verbose_name=_("room")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_bans", verbose_name=_("user")
    )
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("banned by"),
    )
    reason = models.CharField(max_length=500, blank=True, verbose_name=_("reason"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # In the room when banned. Only such a person is told `banned` by a private room; someone
    # banned in advance hears the 404 every outsider hears (the room does not admit it exists).
    of_member = models.BooleanField(default=False, verbose_name=_("was a member"))

    class Meta:
        verbose_name = _("ban")
        verbose_name_plural = _("bans")
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="rooms_ban_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} banned from {self.room_id}"


class Invite(models.Model):
    """A link that lets whoever holds it join a room (private rooms too).

    The token is stored as is, not hashed: the owner lists the links and copies them
    again (docs/decisions.md, "Invite links")."""

    token = models.CharField(max_length=43, unique=True, verbose_name=_("token"))
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="invites", verbose_name=_("room"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("expires at"))
    max_uses = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("max uses"))
    uses = models.PositiveIntegerField(default=0, verbose_name=_("uses"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name = _("invite")
        verbose_name_plural = _("invites")

    def __str__(self) -> str:
        return f"invite {self.pk} to {self.room_id}"

    @property
    def state(self) -> str:
        """active, or why the link admits nobody: revoked, expired, used_up."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "used_up"
        return "active"
