"""Message endpoints: history, the event log, send, read marker, search."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts.models import User
from parley.common.errors import RateLimited
from parley.common.schema import AUTH, errors
from parley.common.throttles import ScopedThrottleMixin
from parley.messaging import selectors, serializers, services
from parley.realtime import runtime
from parley.rooms.selectors import room_for_member

E = {
    **errors(400, 415),
    **AUTH,
    **errors(403, e403="Not a member of this public room"),
    **errors(404, e404="No such room (or private and not a member)"),
    **errors(409, e409="Room closed, or client_id reused"),
    **errors(413, e413="Body too long"),
    **errors(429, e429="Sending too fast"),
}


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class MessagesApi(APIView):
    @extend_schema(
        parameters=[serializers.HistoryIn],
        responses={200: serializers.MessagePageOut, 400: E[400], 403: E[403], 404: E[404], **AUTH},
        summary="History, paged by seq",
    )
    def get(self, request: Request, room_id: int) -> Response:
        params = serializers.HistoryIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        room = room_for_member(user=_user(request), room_id=room_id)
        page, has_more = selectors.history_page(room=room, **params.validated_data)
        return Response(serializers.MessagePageOut({"messages": page, "has_more": has_more}).data)

    @extend_schema(
        request=serializers.SendIn,
        responses={201: serializers.MessageSerializer, 200: serializers.MessageSerializer, **E},
        summary="Send a message (idempotent on client_id)",
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = serializers.SendIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        if not runtime.current().limits.allow_send_sync(user.pk):
            raise RateLimited("You are sending too fast; wait a moment.")
        result = services.message_send(sender=user, room_id=room_id, **data.validated_data)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(serializers.MessageSerializer(result.message).data, status=code)


class EventsApi(APIView):
    @extend_schema(
        parameters=[serializers.EventsIn],
        responses={200: serializers.EventsOut, 400: E[400], 403: E[403], 404: E[404], **AUTH},
        summary="The room's event log after a seq (fills a gap)",
    )
    def get(self, request: Request, room_id: int) -> HttpResponse:
        params = serializers.EventsIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        room_for_member(user=_user(request), room_id=room_id)
        limit = params.validated_data["limit"]
        rows, head = selectors.events_after(
            room_id=room_id, after_seq=params.validated_data["after_seq"], limit=limit + 1
        )
        more = len(rows) > limit
        # The frames are stored as text; splice them rather than decode and re-encode.
        frames = ",".join(frame for _seq, frame in rows[:limit])
        body = f'{{"events":[{frames}],"has_more":{"true" if more else "false"},"last_seq":{int(head)}}}'
        return HttpResponse(body, content_type="application/json")


class ReadApi(APIView):
    @extend_schema(request=serializers.ReadIn, responses={204: None, **E}, summary="Mark read up to seq")
    def post(self, request: Request, room_id: int) -> Response:
        data = serializers.ReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.room_mark_read(user=_user(request), room_id=room_id, seq=data.validated_data["seq"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class SearchApi(ScopedThrottleMixin, APIView):
    throttle_scope = "search"
    throttled_methods = ("GET",)

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True),
            OpenApiParameter("room", int, required=False),
            OpenApiParameter("limit", int, required=False),
        ],
        responses={
            200: serializers.SearchOut,
            400: E[400],
            **errors(429, e429="Too many searches; see Retry-After."),
            **AUTH,
        },
        summary="Search your rooms",
    )
    def get(self, request: Request) -> Response:
        params = serializers.SearchIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        results = selectors.search(
            user=_user(request),
            q=params.validated_data["q"],
            room_id=params.validated_data.get("room"),
            limit=params.validated_data["limit"],
        )
        return Response(serializers.SearchOut({"results": results}).data)
