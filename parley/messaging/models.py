from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parley.rooms.models import Room

BODY_MAX = 4000
EXCERPT_MAX = 120
ATTACHMENTS_MAX = 10  # uploads on one message
PINS_MAX = 50  # pinned messages in one room: a pin list people can still read through
PARTICIPANTS_MAX = 5  # people a thread summary names


class Message(models.Model):
    """A message as it reads now; `seq` is the seq of the event that created it."""

    # No single-column indexes on room and sender: the unique constraints below lead with
    # them and serve every lookup. A second, narrower index on sender_id also tempted
    # PostgreSQL (with stale statistics) into scanning all of a sender's messages to find
    # one client_id (docs/performance.md), and every insert paid to maintain it.
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="messages", db_index=False, verbose_name=_("room")
    )
    seq = models.BigIntegerField(verbose_name=_("seq"))
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="messages",
        db_index=False,
        verbose_name=_("sender"),
    )
    body = models.TextField(max_length=BODY_MAX, verbose_name=_("body"))
    client_id = models.CharField(max_length=64, verbose_name=_("client id"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    edited_at = models.DateTimeField(null=True, blank=True, verbose_name=_("edited at"))
    # A deleted message stays as a tombstone at its seq: empty body, no reactions, no mentions.
    deleted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("deleted at"))
    # Protocol 2. The replied-to message and the start of its body when the reply was sent
    # (blanked if that message is deleted). Indexed only where set: deleting a message finds
    # the replies quoting it; most messages are not replies and pay nothing on insert.
    reply_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replies",
        db_index=False,
        verbose_name=_("reply to"),
    )
    reply_excerpt = models.CharField(
        max_length=EXCERPT_MAX, blank=True, default="", verbose_name=_("reply excerpt")
    )
    # Users mentioned by @username (members only), parsed once at send and again on edit;
    # `mentions_room` is the owner's @room. The Mention table holds the same for counting.
    mentions = models.JSONField(default=list, blank=True, verbose_name=_("mentions"))
    mentions_room = models.BooleanField(default=False, verbose_name=_("mentions room"))
    # The body's search terms (parley/messaging/search_text.py), space-separated; '' when
    # nothing in it is indexable, null when not in the index: deleted, or (PostgreSQL) sent
    # and not yet filled by the indexer (search_indexer.py). Written by the services only.
    # The index over it is per database (migration 0005): a GIN index over
    # array_to_tsvector on PostgreSQL, an FTS5 table kept by triggers on SQLite.
    search_text = models.TextField(null=True, blank=True, verbose_name=_("search text"))
    # Protocol 2: the attached uploads as clients show them ([{id, url, name, size, content_type,
    # width, height, thumbnail_url}]), copied from the Upload rows at send and when a thumbnail
    # is made, so history and frames read no upload rows. Emptied when the message is deleted.
    attachments = models.JSONField(default=list, blank=True, verbose_name=_("attachments"))
    # Protocol 3: cards for the first links of the body ([{url, title, description, image_url,
    # site_name}]), filled by a job after the send (`message.updated`), copied from LinkPreview
    # so history reads no other rows. The author may remove one; emptied on delete.
    previews = models.JSONField(default=list, blank=True, verbose_name=_("previews"))
    # The normalised URLs whose card the author removed, so a later edit (which fetches the
    # cards of links it adds) never brings one back. Never sent to clients.
    previews_removed = models.JSONField(
        default=list, db_default=[], blank=True, verbose_name=_("removed previews")
    )
    # Protocol 3: the root of the thread this message replies in (never a reply itself: a
    # reply to a reply joins its root's thread). Indexed only where set, with seq, for the
    # thread's pages; most messages are not thread replies and pay nothing on insert.
    thread = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="thread_replies",
        db_index=False,
        verbose_name=_("thread"),
    )
    # A thread reply also shown in the room's flow (and counted in its unread count).
    also_to_room = models.BooleanField(default=False, verbose_name=_("also to room"))
    # When a scheduled message (ScheduledMessage) was meant to go out; null for a message
    # sent at once. Clients show it when the job ran late ("scheduled for 9:00").
    scheduled_for = models.DateTimeField(null=True, blank=True, verbose_name=_("scheduled for"))

    # Set by the selectors for the viewer (not a column): [{emoji, count, me}].
    reaction_list: list[dict[str, object]] = []
    # Set by the selectors for the viewer (not a column): whether they follow this root's
    # thread; None where one answer goes to everyone (frames).
    viewer_following: bool | None = None

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(
                fields=["reply_to"],
                name="messaging_message_reply_to",
                condition=models.Q(reply_to__isnull=False),
            ),
            models.Index(
                fields=["thread", "seq"],
                name="messaging_message_thread",
                condition=models.Q(thread__isnull=False),
            ),
            # The threads a person replied in (they follow them: GET threads).
            models.Index(
                fields=["sender", "thread"],
                name="messaging_message_replied",
                condition=models.Q(thread__isnull=False),
            ),
        ]
        constraints = [
            # (room, seq) is also the index every history page walks.
            models.UniqueConstraint(fields=["room", "seq"], name="messaging_message_room_seq"),
            # A retried send finds the message it already stored.
            models.UniqueConstraint(fields=["sender", "client_id"], name="messaging_message_sender_client"),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


class LinkPreview(models.Model):
    """What one URL's page said of itself when last fetched: one fetch for every room.

    Keyed by the normalised URL's SHA-256 (`linkpreview.normalise`; URLs can be longer than
    an index takes). A page with nothing to show is kept too (`found` false), so it is not
    fetched again for LINK_PREVIEW_TTL either. The picture is a WebP Parley made and serves
    itself (`image_name` in the uploads storage): readers never load the remote one."""

    url_key = models.CharField(max_length=64, unique=True, verbose_name=_("URL key"))
    url = models.TextField(verbose_name=_("URL"))
    found = models.BooleanField(default=False, verbose_name=_("found"))
    title = models.CharField(max_length=300, blank=True, default="", verbose_name=_("title"))
    description = models.CharField(max_length=500, blank=True, default="", verbose_name=_("description"))
    site_name = models.CharField(max_length=100, blank=True, default="", verbose_name=_("site name"))
    image_name = models.CharField(max_length=255, blank=True, default="", verbose_name=_("image name"))
    fetched_at = models.DateTimeField(verbose_name=_("fetched at"))

    class Meta:
        verbose_name = _("link preview")
        verbose_name_plural = _("link previews")

    def __str__(self) -> str:
        return self.url[:100]


class ThreadSummary(models.Model):
    """A thread root's replies at a glance (`thread_summary` of the root), one row per root
    that has replies.

    Its own table, not columns of the root: a send holds the room's lock when it counts a
    reply, and on PostgreSQL an edit of the root holds the root's row lock before it takes
    the room's (`store.late_room_lock`); writing the root's row from a send would wait on
    the edit while the edit waits on the send. Written only under the room's lock."""

    root = models.OneToOneField(
        Message,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="summary",
        verbose_name=_("root"),
    )
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("room")
    )
    # The root's author (they follow the thread): GET threads finds their threads by it.
    root_sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("root sender")
    )
    reply_count = models.IntegerField(default=0, verbose_name=_("reply count"))
    last_reply_at = models.DateTimeField(verbose_name=_("last reply at"))
    last_reply_seq = models.BigIntegerField(verbose_name=_("last reply seq"))
    # Up to PARTICIPANTS_MAX UserOut dicts, the latest replier first: copied at each reply
    # like the sender in a logged frame, so a root's frame reads no user rows.
    participants = models.JSONField(default=list, blank=True, verbose_name=_("participants"))
    # The root's `message.updated` is coalesced (THREAD_SUMMARY_WINDOW): when the last one was
    # logged, and whether replies counted since then still wait for the next (`pending`; a
    # flush after the window logs it, or the next reply past the window does).
    logged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("summary logged at"))
    pending = models.BooleanField(default=False, db_default=False, verbose_name=_("summary pending"))

    class Meta:
        verbose_name = _("thread summary")
        verbose_name_plural = _("thread summaries")

    def __str__(self) -> str:
        return f"thread {self.root_id}: {self.reply_count}"


def summary_of(message: Message) -> ThreadSummary | None:
    """The message's thread summary as loaded with it (`select_related("summary")`, or set
    by the send); None when it has no replies yet or the summary was not loaded (no query)."""
    if not Message.summary.is_cached(message):  # type: ignore[attr-defined]
        return None
    try:
        return message.summary
    except ThreadSummary.DoesNotExist:
        return None


class ThreadFollow(models.Model):
    """A user's own choice and read marker in one thread.

    Following is derived, so a send writes nothing for it: the root's author, everyone who
    replied and everyone a reply mentions follow the thread (parley/messaging/threads.py),
    unless this row says otherwise. `following` is that explicit choice (POST/DELETE
    messages/{id}/follow); null when the row only keeps the read marker."""

    root = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("root")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("user"),
    )
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("room")
    )
    following = models.BooleanField(null=True, blank=True, default=None, verbose_name=_("following"))
    last_read_seq = models.BigIntegerField(default=0, verbose_name=_("last read seq"))

    class Meta:
        verbose_name = _("thread follow")
        verbose_name_plural = _("thread follows")
        constraints = [
            # Also the index from a root to its followers (notifications, the follow rows of a page).
            models.UniqueConstraint(fields=["root", "user"], name="messaging_threadfollow_once"),
        ]
        # GET threads: a user's explicit choices.
        indexes = [models.Index(fields=["user", "following"], name="messaging_threadfollow_user")]

    def __str__(self) -> str:
        return f"{self.user_id} in thread {self.root_id}"


class RoomEvent(models.Model):
    """The room's event log: one row per seq, whatever kind of event took it.

    `frame` is the exact JSON text the socket carried live, so replaying a log
    (resume, gap fill, recovery after a Redis restart) re-sends the same bytes
    without touching the serializers again.
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        UPDATED = "message.updated", _("Updated")
        DELETED = "message.deleted", _("Deleted")
        REACTION = "reaction", _("Reaction")
        PINNED = "message.pinned", _("Pinned")

    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="events", db_index=False, verbose_name=_("room")
    )
    seq = models.BigIntegerField(verbose_name=_("seq"))
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("message")
    )
    frame = models.TextField(verbose_name=_("frame"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("room event")
        verbose_name_plural = _("room events")
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="messaging_event_room_seq")]

    def __str__(self) -> str:
        return f"{self.room_id}@{self.seq} {self.kind}"


class MessageEdit(models.Model):
    """An earlier version of a message, for staff (the admin site): members never see it."""

    class Action(models.TextChoices):
        EDIT = "edit", _("Edit")
        DELETE = "delete", _("Delete")

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="edits", verbose_name=_("message")
    )
    action = models.CharField(
        max_length=8, choices=Action.choices, default=Action.EDIT, verbose_name=_("action")
    )
    body_before = models.TextField(verbose_name=_("body before"))
    edited_at = models.DateTimeField(verbose_name=_("edited at"))
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("editor")
    )

    class Meta:
        verbose_name = _("message edit")
        verbose_name_plural = _("message edits")

    def __str__(self) -> str:
        return f"{self.action} of {self.message_id} at {self.edited_at:%Y-%m-%d %H:%M}"


class Reaction(models.Model):
    """One user's emoji on one message (at most one of each emoji per user)."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="reactions", db_index=False, verbose_name=_("message")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    # A Unicode emoji, or `:name:` of a custom one (a name is at most 32 characters).
    emoji = models.CharField(max_length=40, verbose_name=_("emoji"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            # Leads with message: it also serves loading a page's reactions.
            models.UniqueConstraint(fields=["message", "user", "emoji"], name="messaging_reaction_once"),
        ]

    def __str__(self) -> str:
        return f"{self.emoji} on {self.message_id}"


class Mention(models.Model):
    """A message that mentions a user (`user` null: the owner's @room, which mentions everyone).

    Denormalised (room, seq, sender) so a room's mention count for a user is an index
    range over (room, user, seq) bounded like the unread count, with no join.
    """

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("message")
    )
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("room")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        db_index=False,
        verbose_name=_("user"),
    )
    seq = models.BigIntegerField(verbose_name=_("seq"))
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("sender"),
    )
    # Protocol 3: the thread of a mentioning reply (the mentioned follow it); null elsewhere.
    thread = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("thread"),
    )

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        indexes = [
            models.Index(fields=["room", "user", "seq"], name="messaging_mention_count"),
            models.Index(fields=["message"], name="messaging_mention_message"),
            models.Index(
                fields=["user", "thread"],
                name="messaging_mention_thread",
                condition=models.Q(thread__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id or '@room'} in {self.room_id}@{self.seq}"


class Report(models.Model):
    """A member's report of a message to staff; one per reporter and message.

    Reports stay after they are resolved (who did what, and when), and are kept when
    the message is deleted: the staff's record of why."""

    class Category(models.TextChoices):
        SPAM = "spam", _("Spam")
        ABUSE = "abuse", _("Abuse")
        HARASSMENT = "harassment", _("Harassment")
        ILLEGAL = "illegal", _("Illegal")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    class Action(models.TextChoices):
        DISMISS = "dismiss", _("Dismiss")
        DELETE_MESSAGE = "delete_message", _("Delete Message")
        MUTE_AUTHOR = "mute_author", _("Mute Author")
        BAN_AUTHOR = "ban_author", _("Ban Author")
        DEACTIVATE_AUTHOR = "deactivate_author", _("Deactivate Author")

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="reports", db_index=False, verbose_name=_("message")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("reporter")
    )
    category = models.CharField(max_length=16, choices=Category.choices, verbose_name=_("category"))
    text = models.CharField(max_length=1000, blank=True, verbose_name=_("text"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.OPEN, verbose_name=_("status")
    )
    action = models.CharField(max_length=20, choices=Action.choices, blank=True, verbose_name=_("action"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            # Also the index from a message to its reports.
            models.UniqueConstraint(fields=["message", "reporter"], name="messaging_report_once"),
        ]
        # The staff queue: open reports, newest first, paged by id.
        indexes = [models.Index(fields=["status", "-id"], name="messaging_report_queue")]

    def __str__(self) -> str:
        return f"report {self.pk} of {self.message_id}"


class Pin(models.Model):
    """A message pinned in its room (at most once): the room's list of what to come back to.

    `room` is denormalised from the message so a room's pins are one index range, newest
    first, with no join through the messages to find them."""

    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, related_name="pin", verbose_name=_("message")
    )
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("room")
    )
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("pinned by"),
    )
    pinned_at = models.DateTimeField(verbose_name=_("pinned at"))

    class Meta:
        verbose_name = _("pin")
        verbose_name_plural = _("pins")
        indexes = [models.Index(fields=["room", "-pinned_at"], name="messaging_pin_room")]

    def __str__(self) -> str:
        return f"pin of {self.message_id} in {self.room_id}"


class SavedMessage(models.Model):
    """A message one person saved for later: private to them (nobody else hears of it).

    Rows stay when the person can no longer see the message (they left the room, it was
    deleted): the list filters those out when read, so rejoining brings them back."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("user"),
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="+", verbose_name=_("message")
    )
    saved_at = models.DateTimeField(verbose_name=_("saved at"))

    class Meta:
        verbose_name = _("saved message")
        verbose_name_plural = _("saved messages")
        constraints = [
            models.UniqueConstraint(fields=["user", "message"], name="messaging_saved_once"),
        ]
        # The Saved list: one person's rows, newest first, paged by id.
        indexes = [models.Index(fields=["user", "-id"], name="messaging_saved_list")]

    def __str__(self) -> str:
        return f"{self.message_id} saved by {self.user_id}"


class ScheduledMessage(models.Model):
    """A message to post later (`POST rooms/{id}/scheduled`) or a reminder (`/remind me`).

    Stored, not held in memory, so it survives a restart. The periodic job
    (`parley.actions.scheduling.scheduled_send_due`) claims a due pending row under a row
    lock, posts it as the author through the normal send (client_id `scheduled/<id>`, so a
    second attempt is the same message), and records the outcome in the same transaction.
    A reminder has no room: it is posted by the reminder bot in its DM with the author."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("message")
        REMINDER = "reminder", _("reminder")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")
        FAILED = "failed", _("failed")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("author")
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MESSAGE, verbose_name=_("kind"))
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("room")
    )
    body = models.TextField(max_length=BODY_MAX, verbose_name=_("body"))
    # The thread root it replies in (protocol 3's `thread`), kept as an id: checked to be a
    # message of the room when stored and when sent.
    thread = models.BigIntegerField(null=True, blank=True, verbose_name=_("thread"))
    send_at = models.DateTimeField(verbose_name=_("send at"))
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING, verbose_name=_("state")
    )
    # Why a failed one failed: the refusal's error code (not_member, muted, banned, room_closed...).
    reason = models.CharField(max_length=64, blank=True, default="", verbose_name=_("reason"))
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("message")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("scheduled message")
        verbose_name_plural = _("scheduled messages")
        indexes = [
            # The job's scan: pending rows by time. Not a partial index: MariaDB has none.
            models.Index(fields=["state", "send_at"], name="messaging_scheduled_due"),
            models.Index(fields=["author", "state"], name="messaging_scheduled_author"),
        ]

    def __str__(self) -> str:
        return f"scheduled {self.kind} {self.pk} at {self.send_at:%Y-%m-%d %H:%M}"
