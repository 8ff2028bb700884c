"""Room endpoints: parse, call a service or selector, render."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts import presence
from parley.accounts.models import User
from parley.common.replica import replica_reads
from parley.common.schema import AUTH, errors, shape_many
from parley.common.throttles import ScopedThrottleMixin
from parley.realtime.shapes import RoomOut
from parley.rooms import dms, invites, moderation, selectors, serializers, services
from parley.rooms.models import Membership, Room

E = {
    **errors(400, 415),
    **AUTH,
    **errors(403, e403="Not allowed (not the owner, or not a member of a public room)"),
    **errors(404, e404="No such room (private rooms are not visible to non-members)"),
    **errors(409, e409="Conflict (name taken, room closed, already a member)"),
}


def _member(
    m: Membership, *, room: Room, online: frozenset[int], now: datetime, idle: frozenset[int] = frozenset()
) -> dict[str, Any]:
    muted = moderation.is_muted(m, now)
    where = presence.presence_data(m.user, online=online, idle=idle, now=now)
    return {
        "user": m.user,
        "is_owner": m.user_id == room.owner_id,
        "online": m.user_id in online,
        "state": where["state"],
        "status": where["status"],
        "joined_at": m.joined_at,
        "muted": muted,
        "muted_until": m.muted_until if muted else None,
    }


def _room(request: Request, room_id: int) -> Response:
    user = request.user
    assert isinstance(user, User)
    room = selectors.room_detail(user=user, room_id=room_id)
    return Response(serializers.room_data(room))


class RoomListApi(ScopedThrottleMixin, APIView):
    throttle_scope = "room_create"  # POST only

    @extend_schema(
        parameters=[OpenApiParameter("joined", bool, required=False)],
        responses={200: shape_many(RoomOut), 400: E[400], **AUTH},
        summary="Rooms you can see",
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        params = serializers.RoomListIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        rooms = selectors.room_list(user=request.user, joined=params.validated_data["joined"])  # type: ignore[arg-type]
        return Response([serializers.room_data(r) for r in rooms])

    @extend_schema(
        request=serializers.RoomCreateIn,
        responses={
            201: RoomOut,
            400: E[400],
            409: E[409],
            415: E[415],
            **errors(429, e429="Too many rooms created from this address or account; see Retry-After."),
            **AUTH,
        },
        summary="Create a room",
    )
    def post(self, request: Request) -> Response:
        data = serializers.RoomCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        room = services.room_create(owner=request.user, **data.validated_data)  # type: ignore[arg-type]
        response = _room(request, room.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


class RoomDetailApi(APIView):
    @extend_schema(responses={200: RoomOut, 404: E[404], **AUTH}, summary="A room")
    @replica_reads
    def get(self, request: Request, room_id: int) -> Response:
        return _room(request, room_id)

    @extend_schema(
        request=serializers.RoomUpdateIn,
        responses={200: RoomOut, **E},
        summary="Edit name, topic, visibility, invite and pin rights, link previews, retention (owner)",
    )
    def patch(self, request: Request, room_id: int) -> Response:
        data = serializers.RoomUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        visibility = fields.pop("visibility", None)
        members_can_invite = fields.pop("members_can_invite", None)
        members_can_pin = fields.pop("members_can_pin", None)
        has_retention = "retention_days" in fields
        retention_days = fields.pop("retention_days", None)
        if has_retention:
            services.room_set_retention(
                room_id=room_id,
                actor=request.user,  # type: ignore[arg-type]
                retention_days=retention_days,
            )
        if members_can_invite is not None:
            invites.invite_settings_update(
                room_id=room_id,
                actor=request.user,  # type: ignore[arg-type]
                members_can_invite=members_can_invite,
            )
        if members_can_pin is not None:
            services.room_pin_settings_update(
                room_id=room_id,
                actor=request.user,  # type: ignore[arg-type]
                members_can_pin=members_can_pin,
            )
        flags = (visibility, members_can_invite, members_can_pin)
        if fields or (all(flag is None for flag in flags) and not has_retention):
            services.room_update(room_id=room_id, actor=request.user, **fields)  # type: ignore[arg-type]
        if visibility is not None:
            services.room_set_visibility(room_id=room_id, actor=request.user, visibility=visibility)  # type: ignore[arg-type]
        return _room(request, room_id)

    @extend_schema(
        responses={204: None, 403: E[403], 404: E[404], **AUTH}, summary="Close the room (owner or staff)"
    )
    def delete(self, request: Request, room_id: int) -> Response:
        services.room_close(room_id=room_id, actor=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomTransferApi(APIView):
    @extend_schema(
        request=serializers.RoomTransferIn,
        responses={200: RoomOut, **E},
        summary="Hand the room over to another member (owner)",
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = serializers.RoomTransferIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.room_transfer(room_id=room_id, actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        return _room(request, room_id)


class RoomJoinApi(APIView):
    @extend_schema(request=None, responses={200: RoomOut, **E}, summary="Join a public room")
    def post(self, request: Request, room_id: int) -> Response:
        services.room_join(room_id=room_id, user=request.user)  # type: ignore[arg-type]
        return _room(request, room_id)


class RoomLeaveApi(APIView):
    @extend_schema(
        request=None,
        responses={200: RoomOut, **E},
        summary="Leave a room (a direct message is hidden instead, until its next message)",
    )
    def post(self, request: Request, room_id: int) -> Response:
        room = services.room_leave(room_id=room_id, user=request.user)  # type: ignore[arg-type]
        if room.is_public or room.is_direct:
            return _room(request, room_id)
        # A private room is invisible to non-members, so it cannot be re-read after leaving:
        # answer with what the leaver saw, as a non-member.
        return Response(
            {
                **services.room_public_data(room),
                **{"is_member": False, "unread_count": 0, "mention_count": 0},
                **{"muted": False, "muted_until": None},
                **{"notify": None, "hidden": False, "last_read_seq": None},
                "members_can_invite": room.members_can_invite,
                "members_can_pin": room.members_can_pin,
                "link_previews": room.link_previews,
                "dm_presence": [],
                "retention_days": room.retention_days,
                "retention_policy": serializers.retention_policy(),
            }
        )


class MemberListApi(APIView):
    @extend_schema(
        responses={200: serializers.MembersOut, 403: E[403], 404: E[404], **AUTH}, summary="Members"
    )
    def get(self, request: Request, room_id: int) -> Response:
        room = selectors.room_for_member(user=request.user, room_id=room_id)  # type: ignore[arg-type]
        online, idle = presence.presence_sets()
        now = timezone.now()
        members = [
            _member(m, room=room, online=online, idle=idle, now=now) for m in selectors.member_list(room=room)
        ]
        bots = [
            _member(m, room=room, online=online, idle=idle, now=now) for m in selectors.bot_seats(room=room)
        ]
        return Response(serializers.MembersOut({"members": members, "bots": bots}).data)

    @extend_schema(
        request=serializers.MemberAddIn,
        responses={201: serializers.MemberOut, **E},
        summary="Add a member (owner; private rooms too)",
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = serializers.MemberAddIn(data=request.data)
        data.is_valid(raise_exception=True)
        m = services.member_add(room_id=room_id, actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        online, idle = presence.presence_sets()
        out = _member(m, room=m.room, online=online, idle=idle, now=timezone.now())
        return Response(serializers.MemberOut(out).data, status=status.HTTP_201_CREATED)


class RoomReadsApi(APIView):
    @extend_schema(
        parameters=[serializers.ReadsIn],
        responses={200: serializers.ReadsOut, 400: E[400], 403: E[403], 404: E[404], **AUTH},
        summary="Read receipts: how far the members who share them have read (members who share only)",
    )
    def get(self, request: Request, room_id: int) -> Response:
        params = serializers.ReadsIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        reads = selectors.room_reads(user=user, room_id=room_id, min_seq=params.validated_data["min_seq"])
        data = {
            "reads": [{"user": m.user, "last_read_seq": m.last_read_seq} for m in reads],
            "sharing": user.share_read_receipts,
        }
        return Response(serializers.ReadsOut(data).data)


class MemberDetailApi(APIView):
    @extend_schema(responses={204: None, **E}, summary="Remove a member (owner), or yourself")
    def delete(self, request: Request, room_id: int, user_id: int) -> Response:
        services.member_remove(room_id=room_id, actor=request.user, user_id=user_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- moderation: mute and ban (the owner, or staff) ------------------------------------------

MOD = {
    **errors(400, 415, e400="Invalid input, or acting on yourself (`cannot_moderate_self`)"),
    **AUTH,
    **errors(
        403,
        e403="Not the owner or staff (`not_owner`), or the person is staff (`target_is_staff`), "
        "or a public room you are not in",
    ),
    **errors(404, e404="No such room or user, or the user is not a member (`not_member`)"),
}


class MuteListApi(APIView):
    @extend_schema(responses={200: serializers.MutesOut, **MOD}, summary="Muted members (owner or staff)")
    def get(self, request: Request, room_id: int) -> Response:
        room = moderation.room_moderated(actor=request.user, room_id=room_id)  # type: ignore[arg-type]
        now = timezone.now()
        online, idle = presence.presence_sets()
        mutes = [
            _member(m, room=room, online=online, idle=idle, now=now)
            for m in selectors.muted_members(room=room)
        ]
        return Response(serializers.MutesOut({"mutes": mutes}).data)


class MuteApi(APIView):
    @extend_schema(
        request=serializers.MuteIn,
        responses={200: serializers.MemberOut, **MOD},
        summary="Mute a member: they read but cannot write, react or edit (owner or staff)",
    )
    def post(self, request: Request, room_id: int, user_id: int) -> Response:
        data = serializers.MuteIn(data=request.data)
        data.is_valid(raise_exception=True)
        m = moderation.member_mute(
            room_id=room_id,
            actor=request.user,  # type: ignore[arg-type]
            user_id=user_id,
            duration=data.validated_data["duration"],
        )
        online, idle = presence.presence_sets()
        out = _member(m, room=m.room, online=online, idle=idle, now=timezone.now())
        return Response(serializers.MemberOut(out).data)

    @extend_schema(responses={204: None, **MOD}, summary="Lift a mute (owner or staff)")
    def delete(self, request: Request, room_id: int, user_id: int) -> Response:
        moderation.member_unmute(room_id=room_id, actor=request.user, user_id=user_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class BanListApi(APIView):
    @extend_schema(responses={200: serializers.BansOut, **MOD}, summary="Banned people (owner or staff)")
    def get(self, request: Request, room_id: int) -> Response:
        room = moderation.room_moderated(actor=request.user, room_id=room_id)  # type: ignore[arg-type]
        return Response(serializers.BansOut({"bans": selectors.ban_list(room=room)}).data)


class BanApi(APIView):
    @extend_schema(
        request=serializers.BanIn,
        responses={200: serializers.BanOut, **MOD},
        summary="Ban someone: removed at once, cannot join or be added until unbanned (owner or staff)",
    )
    def post(self, request: Request, room_id: int, user_id: int) -> Response:
        data = serializers.BanIn(data=request.data)
        data.is_valid(raise_exception=True)
        ban = moderation.member_ban(
            room_id=room_id,
            actor=request.user,  # type: ignore[arg-type]
            user_id=user_id,
            reason=data.validated_data["reason"],
        )
        return Response(serializers.BanOut(ban).data)

    @extend_schema(responses={204: None, **MOD}, summary="Lift a ban (owner or staff)")
    def delete(self, request: Request, room_id: int, user_id: int) -> Response:
        moderation.member_unban(room_id=room_id, actor=request.user, user_id=user_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class DmOpenApi(ScopedThrottleMixin, APIView):
    throttle_scope = "dm_open"

    @extend_schema(
        request=serializers.DmOpenIn,
        responses={
            200: RoomOut,
            201: RoomOut,
            **errors(
                400, 415, e400="No other person, more than 8 people, or not an active registered account"
            ),
            **errors(403, e403="Guests cannot start direct messages"),
            **errors(429, e429="Too many rooms created from this address or account; see Retry-After."),
            **AUTH,
        },
        summary="Open the direct message with these people (201 when new, 200 when it existed)",
    )
    def post(self, request: Request) -> Response:
        data = serializers.DmOpenIn(data=request.data)
        data.is_valid(raise_exception=True)
        room, created = dms.dm_open(actor=request.user, user_ids=data.validated_data["user_ids"])  # type: ignore[arg-type]
        response = _room(request, room.pk)
        if created:
            response.status_code = status.HTTP_201_CREATED
        return response


class MembershipApi(APIView):
    @extend_schema(
        request=serializers.MembershipUpdateIn,
        responses={
            200: RoomOut,
            400: E[400],
            403: E[403],
            404: E[404],
            415: E[415],
            **AUTH,
        },
        summary="Your own settings for a room: notifications, and (direct messages) hidden",
    )
    def patch(self, request: Request, room_id: int) -> Response:
        data = serializers.MembershipUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.membership_update(room_id=room_id, user=request.user, **data.validated_data)  # type: ignore[arg-type]
        return _room(request, room_id)
