"""Bots endpoints: a room's commands, bot accounts, incoming and outgoing webhooks."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts.models import User
from parley.bots import chart, selectors, serializers, services
from parley.common.errors import NotFound
from parley.common.schema import AUTH, errors
from parley.common.throttles import AddressFailures, TargetThrottle
from parley.messaging.serializers import message_data
from parley.realtime.shapes import MessageOut
from parley.rooms.selectors import room_for_member

OWNER = {
    **AUTH,
    **errors(403, e403="Not the room's owner (or not a member of a public room)"),
    **errors(404, e404="No such room or webhook"),
}


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _hook_url(request: Request, hook_id: int, secret: str) -> str:
    return request.build_absolute_uri(reverse("hook-post", kwargs={"hook_id": hook_id, "secret": secret}))


class RoomCommandsApi(APIView):
    @extend_schema(
        responses={200: serializers.CommandOut(many=True), **AUTH, **errors(403, 404)},
        summary="The slash commands of a room (for /help and the composer's typeahead)",
    )
    def get(self, request: Request, room_id: int) -> Response:
        room_for_member(user=_user(request), room_id=room_id)
        return Response(serializers.CommandOut(selectors.room_commands(room_id=room_id), many=True).data)


class RoomStatsChartApi(APIView):
    @extend_schema(
        responses={(200, "image/png"): OpenApiTypes.BINARY, **AUTH, **errors(403, 404)},
        summary="The room's messages per hour of day this week, in your time zone, as a small PNG",
    )
    def get(self, request: Request, room_id: int) -> HttpResponse:
        user = _user(request)
        room_for_member(user=user, room_id=room_id)
        png = chart.bar_chart_png(selectors.room_activity(room_id=room_id, time_zone=user.time_zone).hours)
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "private, max-age=60"
        return response


class IncomingListApi(APIView):
    @extend_schema(
        responses={200: serializers.IncomingOut(many=True), **OWNER}, summary="The room's incoming webhooks"
    )
    def get(self, request: Request, room_id: int) -> Response:
        services.owner_room(room_id, _user(request))
        return Response(serializers.IncomingOut(selectors.incoming_list(room_id=room_id), many=True).data)

    @extend_schema(
        request=serializers.IncomingCreateIn,
        responses={201: serializers.IncomingSecretOut, **OWNER, **errors(400, 415)},
        summary="Create an incoming webhook: a secret URL that posts into the room",
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = serializers.IncomingCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        hook, secret = services.incoming_create(actor=_user(request), room_id=room_id, **data.validated_data)
        out = serializers.IncomingSecretOut(hook, context={"url": _hook_url(request, hook.pk, secret)})
        return Response(out.data, status=status.HTTP_201_CREATED)


class IncomingDetailApi(APIView):
    @extend_schema(request=None, responses={204: None, **OWNER}, summary="Revoke an incoming webhook")
    def delete(self, request: Request, hook_id: int) -> Response:
        services.incoming_revoke(actor=_user(request), hook_id=hook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IncomingRotateApi(APIView):
    @extend_schema(
        request=None,
        responses={200: serializers.IncomingSecretOut, **OWNER},
        summary="Give an incoming webhook a new secret URL (the old one stops working)",
    )
    def post(self, request: Request, hook_id: int) -> Response:
        hook, secret = services.incoming_rotate(actor=_user(request), hook_id=hook_id)
        out = serializers.IncomingSecretOut(hook, context={"url": _hook_url(request, hook.pk, secret)})
        return Response(out.data)


class HookPostApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get_throttles(self) -> list[Any]:
        """None before the secret is checked (see `post`): a stranger's wrong secrets must not
        use up the real integration's share of the per-hook limit."""
        return []

    def throttle_target(self, request: Request) -> str:
        """Counted per hook once the secret is right: the secret URL is the only credential."""
        return f"hook:{self.kwargs.get('hook_id')}"

    @extend_schema(
        request=serializers.HookPostIn,
        responses={
            201: MessageOut,
            **errors(400, 415, 409, 413),
            **errors(404, e404="No such webhook (wrong or revoked secret)"),
            **errors(429, e429="This webhook posts too fast; see Retry-After"),
        },
        auth=[],
        summary="Post into the room as the webhook's bot (the secret URL is the credential)",
    )
    def post(self, request: Request, hook_id: int, secret: str) -> Response:
        failures = AddressFailures("webhook_fail")
        wait = failures.wait(request)
        if wait is not None:
            self.throttled(request, wait)
        try:
            hook = services.incoming_authenticate(hook_id=hook_id, secret=secret)
        except NotFound:
            failures.record(request)
            raise
        per_hook = TargetThrottle("webhook")
        if not per_hook.allow_request(request, self):
            self.throttled(request, per_hook.wait() or 1.0)
        data = serializers.HookPostIn(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.incoming_post(hook=hook, **data.validated_data)
        return Response(message_data(message), status=status.HTTP_201_CREATED)


class OutgoingListApi(APIView):
    @extend_schema(
        responses={200: serializers.OutgoingOut(many=True), **OWNER}, summary="The room's outgoing webhooks"
    )
    def get(self, request: Request, room_id: int) -> Response:
        services.owner_room(room_id, _user(request))
        return Response(serializers.OutgoingOut(selectors.outgoing_list(room_id=room_id), many=True).data)

    @extend_schema(
        request=serializers.OutgoingCreateIn,
        responses={201: serializers.OutgoingSecretOut, **OWNER, **errors(400, 415)},
        summary="Create an outgoing webhook: messages starting with a trigger are POSTed to a URL",
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = serializers.OutgoingCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        hook, secret = services.outgoing_create(actor=_user(request), room_id=room_id, **data.validated_data)
        out = serializers.OutgoingSecretOut(hook, context={"secret": secret})
        return Response(out.data, status=status.HTTP_201_CREATED)


class OutgoingDetailApi(APIView):
    @extend_schema(request=None, responses={204: None, **OWNER}, summary="Delete an outgoing webhook")
    def delete(self, request: Request, hook_id: int) -> Response:
        services.outgoing_revoke(actor=_user(request), hook_id=hook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BotsApi(APIView):
    @extend_schema(
        request=serializers.BotCreateIn,
        responses={
            201: serializers.BotCreateOut,
            **AUTH,
            **errors(400, 415),
            **errors(403, e403="Not staff, and not the owner of the room given"),
            **errors(404, e404="No such room"),
        },
        summary="Create a bot account for an outside program (staff, or a room's owner for the room)",
    )
    def post(self, request: Request) -> Response:
        data = serializers.BotCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user, token = services.bot_account_create(
            actor=_user(request), username=v["username"], display_name=v["display_name"], room_id=v["room"]
        )
        return Response(
            serializers.BotCreateOut({"user": user, "token": token}).data, status=status.HTTP_201_CREATED
        )
