"""Invite link endpoints (issue 17): parse, call `rooms.invites`, render."""

from __future__ import annotations

from collections.abc import Sequence

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts.models import User
from parley.common.schema import AUTH, errors
from parley.common.throttles import ScopedThrottleMixin
from parley.realtime.shapes import RoomOut
from parley.rooms import invites, selectors, serializers
from parley.rooms.models import Membership

E410 = errors(
    410, e410="The link expired, was revoked or is used up (or its room closed); `error.code` says which"
)
E429 = errors(429, e429="Too many invite requests from this address or account; see Retry-After.")
E404 = errors(404, e404="No such room, or no such invite")
E403 = errors(403, e403="Not allowed (not the owner, and members may not invite here; not a member)")


class RoomInvitesApi(ScopedThrottleMixin, APIView):
    throttle_scope = "invite"  # POST only

    @extend_schema(
        responses={200: serializers.InvitesOut, **E403, **E404, **AUTH},
        summary="Invite links of a room (the owner sees all, a member their own)",
    )
    def get(self, request: Request, room_id: int) -> Response:
        found = invites.invite_list(room_id=room_id, actor=request.user)  # type: ignore[arg-type]
        return Response(serializers.InvitesOut({"invites": found}, context={"request": request}).data)

    @extend_schema(
        request=serializers.InviteCreateIn,
        responses={
            201: serializers.InviteOut,
            **errors(400, 415),
            **E403,
            **E404,
            **errors(409, e409="The room is closed"),
            **E429,
            **AUTH,
        },
        summary="Create an invite link (owner, or members when the owner allows it)",
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = serializers.InviteCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        invite = invites.invite_create(room_id=room_id, actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        return Response(
            serializers.InviteOut(invite, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class InviteDetailApi(ScopedThrottleMixin, APIView):
    """GET is open to anyone with the link (signed in or not); DELETE revokes it."""

    throttle_scope = "invite_use"
    throttled_methods = ("GET", "DELETE")  # a guess costs one of these either way

    def get_permissions(self) -> Sequence[BasePermission]:
        if self.request.method == "GET":
            return [AllowAny()]
        return list(super().get_permissions())  # type: ignore[arg-type]

    @extend_schema(
        responses={200: serializers.InvitePreviewOut, **E404, **E410, **E429, **AUTH},
        summary="What an invite link leads to (no sign-in needed)",
    )
    def get(self, request: Request, token: str) -> Response:
        preview = invites.invite_preview(token=token)
        room = preview.invite.room
        user = request.user
        is_member = bool(
            user.is_authenticated and Membership.objects.filter(room=room, user_id=user.pk).exists()
        )
        return Response(
            serializers.InvitePreviewOut(
                {
                    "room": {
                        "id": room.pk,
                        "name": room.name,
                        "topic": room.topic,
                        "visibility": room.visibility,
                        "member_count": preview.member_count,
                    },
                    "expires_at": preview.invite.expires_at,
                    "is_member": is_member,
                }
            ).data
        )

    @extend_schema(
        responses={204: None, **E404, **E429, **AUTH},
        summary="Revoke an invite link (the room's owner or the link's creator; anyone else: 404)",
    )
    def delete(self, request: Request, token: str) -> Response:
        invites.invite_revoke(token=token, actor=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class InviteAcceptApi(ScopedThrottleMixin, APIView):
    throttle_scope = "invite_use"

    @extend_schema(
        request=None,
        responses={200: RoomOut, **E404, **E410, **E429, **AUTH},
        summary="Join the room of an invite link (as an account or a guest)",
    )
    def post(self, request: Request, token: str) -> Response:
        user = request.user
        assert isinstance(user, User)
        room = invites.invite_accept(token=token, user=user)
        return Response(serializers.room_data(selectors.room_detail(user=user, room_id=room.pk)))
