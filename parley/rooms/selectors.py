"""Room reads. Every list is one query however many rooms it returns."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import User
from parley.common.errors import Forbidden, NotFound, ServiceError
from parley.realtime import runtime
from parley.rooms import counts
from parley.rooms.models import Ban, Membership, Room


def _with_counts(qs: QuerySet[Room], user: User) -> QuerySet[Room]:
    """The rooms as `user` sees them: membership, standing, member count, and the unread and
    mention counts (messaging's, through `counts`), all in the one query."""
    mine = Membership.objects.filter(room=OuterRef("pk"), user=user)
    members = (
        Membership.objects.filter(room=OuterRef("pk"), user__is_bot=False)  # people, not bots
        .order_by()
        .values("room")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        qs.select_related("owner")
        .annotate(
            is_member=Exists(mine),
            my_read=Subquery(mine.values("last_read_seq")[:1]),
            my_muted=Subquery(mine.values("muted")[:1]),
            my_muted_until=Subquery(mine.values("muted_until")[:1]),
            notify=Subquery(mine.values("notify")[:1]),
            hidden=Coalesce(Subquery(mine.values("hidden")[:1]), Value(False)),
            member_count=Coalesce(Subquery(members, output_field=IntegerField()), Value(0)),
        )
        .annotate(**counts.for_user(user))
    )


def online_user_ids() -> frozenset[int]:
    """Users with a live socket in any process (the runtime's presence table)."""
    return runtime.current().presence.online_user_ids()


def online_counts(room_ids: list[int]) -> dict[int, int]:
    return online_member_counts(room_ids=room_ids, online=online_user_ids())


def attach_dm_members(rooms: list[Room]) -> list[Room]:
    """Give each room its `dm_users`: a DM's members (its name for a viewer is the others'
    names), an empty list for rooms. One query for all the DMs in the list, none without."""
    direct = [room.pk for room in rooms if room.is_direct]
    by_room: dict[int, list[User]] = {pk: [] for pk in direct}
    if direct:
        rows = Membership.objects.filter(room_id__in=direct).select_related("user").order_by("room_id", "id")
        for m in rows:
            by_room[m.room_id].append(m.user)
    for room in rooms:
        room.dm_users = by_room.get(room.pk, [])  # type: ignore[attr-defined]
    return rooms


def _attach_online(rooms: list[Room]) -> list[Room]:
    counts = online_counts([room.pk for room in rooms]) if rooms else {}
    for room in rooms:
        room.online_count = counts.get(room.pk, 0)  # type: ignore[attr-defined]
    return attach_dm_members(rooms)


def room_list(*, user: User, joined: bool | None = None) -> list[Room]:
    """Rooms the user can see: public ones and private ones they belong to."""
    mine = Membership.objects.filter(room=OuterRef("pk"), user=user)
    qs = Room.objects.all()
    if joined is True:
        qs = qs.filter(Exists(mine))
    elif joined is False:
        qs = qs.filter(visibility=Room.Visibility.PUBLIC).exclude(Exists(mine))
    else:
        qs = qs.filter(Q(visibility=Room.Visibility.PUBLIC) | Exists(mine))
    return _attach_online(list(_with_counts(qs, user).order_by("closed_at", "-last_seq", "id")[:1000]))


def ban_is_told(*, room_id: int, user_id: int, public: bool) -> bool:
    """Whether the person hears `banned` from the room rather than the outsider's refusal.
    A public room is seen by all, so any ban is told; a private room tells only someone
    banned while in it: a person banned in advance would otherwise learn, from `banned`
    against 404, that the room exists (docs/decisions.md, "A ban in advance")."""
    bans = Ban.objects.filter(room_id=room_id, user_id=user_id)
    return bans.exists() if public else bans.filter(of_member=True).exists()


def ban_refusal() -> Forbidden:
    """What a banned person hears from the room they were put out of, whatever they try
    (open it, read it, write in it, join it): distinct from "no such room" so the client can
    say why, and naming nothing of the room (docs/decisions.md, "A banned person")."""
    return Forbidden(_("You are banned from this room."), code="banned")


def outsider_refusal(*, room_id: int, user_id: int, public: bool) -> ServiceError:
    """Why a non-member cannot use a room: banned (any ban from a public room, a ban while a
    member from a private one), not yet joined (public), or, for a private room, no such room
    (a private room does not admit it exists, even to someone banned from it in advance).
    Read only on the refusal path, so members pay nothing for it."""
    if ban_is_told(room_id=room_id, user_id=user_id, public=public):
        return ban_refusal()
    if public:
        return Forbidden(_("Join the room first."), code="not_member")
    return NotFound(_("No such room."))


def room_detail(*, user: User, room_id: int) -> Room:
    room = _with_counts(Room.objects.filter(pk=room_id), user).first()
    if room is None:
        raise NotFound(_("No such room."))
    if not room.is_public and not room.is_member:  # type: ignore[attr-defined]
        raise outsider_refusal(room_id=room.pk, user_id=user.pk, public=False)
    return _attach_online([room])[0]


def room_for_member(*, user: User, room_id: int) -> Room:
    """The room if `user` belongs to it. Private rooms do not admit they exist (404);
    a public room's content is 403 until the user joins; a banned person hears `banned`."""
    room = Room.objects.select_related("owner").filter(pk=room_id).first()
    if room is None:
        raise NotFound(_("No such room."))
    if not Membership.objects.filter(room=room, user=user).exists():
        raise outsider_refusal(room_id=room.pk, user_id=user.pk, public=room.is_public)
    return room


def room_visible(*, user: User, room_id: int) -> Room:
    room = Room.objects.select_related("owner").filter(pk=room_id).first()
    if room is None:
        raise NotFound(_("No such room."))
    if not room.is_public and not Membership.objects.filter(room=room, user=user).exists():
        raise outsider_refusal(room_id=room.pk, user_id=user.pk, public=False)
    return room


def member_room_ids(*, user_id: int) -> list[int]:
    return list(Membership.objects.filter(user_id=user_id).values_list("room_id", flat=True))


def room_heads(*, room_ids: list[int]) -> dict[int, int]:
    return dict(Room.objects.filter(pk__in=room_ids).values_list("id", "last_seq"))


def online_member_counts(*, room_ids: list[int], online: frozenset[int]) -> dict[int, int]:
    if not online or not room_ids:
        return {}
    rows = (
        Membership.objects.filter(room_id__in=room_ids, user_id__in=online, user__is_bot=False)
        .values("room_id")
        .annotate(n=Count("id"))
        .values_list("room_id", "n")
    )
    return dict(rows)


def member_list(*, room: Room) -> list[Membership]:
    """The room's people. A bot's membership is only its seat to write from (commands, webhook
    posts): it is not listed or counted as a member (docs/decisions.md, "Bots are not members")."""
    return list(
        Membership.objects.filter(room=room, user__is_bot=False)
        .select_related("user")
        .order_by("joined_at", "id")
    )


def bot_seats(*, room: Room) -> list[Membership]:
    """The bots that hold a seat in the room, listed apart from its people."""
    return list(
        Membership.objects.filter(room=room, user__is_bot=True)
        .select_related("user")
        .order_by("joined_at", "id")
    )


def member_count(*, room_id: int) -> int:
    """How many people are in the room (bots not counted)."""
    return Membership.objects.filter(room_id=room_id, user__is_bot=False).count()


def muted_members(*, room: Room) -> list[Membership]:
    """The room's members muted now (a mute whose time has passed is over)."""
    now = timezone.now()
    return list(
        Membership.objects.filter(room=room, muted=True)
        .filter(Q(muted_until__isnull=True) | Q(muted_until__gt=now))
        .select_related("user")
        .order_by("user__username")
    )


def ban_list(*, room: Room) -> list[Ban]:
    return list(
        Ban.objects.filter(room=room).select_related("user", "banned_by").order_by("-created_at", "-id")
    )


READS_MAX = 1000


def room_reads(*, user: User, room_id: int, min_seq: int = 0) -> list[Membership]:
    """Where the room's other people who share read receipts have read to (at least
    `min_seq`), furthest first; nothing when `user` does not share theirs (as Signal does).
    Members only (the room's usual refusals otherwise)."""
    room_for_member(user=user, room_id=room_id)
    if not user.share_read_receipts:
        return []
    return list(
        Membership.objects.filter(
            room_id=room_id,
            user__is_bot=False,
            user__share_read_receipts=True,
            last_read_seq__gte=max(min_seq, 1),
        )
        .exclude(user=user)
        .select_related("user")
        .order_by("-last_read_seq", "id")[:READS_MAX]
    )
