"""Message endpoints: history, the event log, send, edit, delete, reactions, read marker, search."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts.models import User
from parley.accounts.serializers import UserSearchOut
from parley.common.errors import NotFound, RateLimited
from parley.common.replica import replica_reads
from parley.common.schema import AUTH, errors
from parley.common.throttles import ScopedThrottleMixin
from parley.messaging import pins, reports, scheduling, search, selectors, serializers, services, threads
from parley.realtime import runtime
from parley.realtime.shapes import MessageOut
from parley.rooms.selectors import room_for_member
from parley.uploads.storage import upload_storage

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


def too_fast() -> RateLimited:
    """The send allowance refills one send every 1/WS_SEND_RATE seconds: come back then."""
    return RateLimited(_("You are sending too fast; wait a moment."), retry_after=1 / settings.WS_SEND_RATE)


def _allowed(user: User) -> User:
    """Every write that takes a seq shares the send allowance (a reaction flood is a message flood)."""
    if not runtime.current().limits.allow_send_sync(user.pk):
        raise too_fast()
    return user


# A room's history; POST (the send) is in parley.actions.api.MessagesApi.
class MessagesApi(APIView):
    @extend_schema(
        parameters=[serializers.HistoryIn],
        responses={200: serializers.MessagePageOut, 400: E[400], 403: E[403], 404: E[404], **AUTH},
        summary="History, paged by seq",
    )
    @replica_reads
    def get(self, request: Request, room_id: int) -> Response:
        params = serializers.HistoryIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        user = _user(request)
        room = room_for_member(user=user, room_id=room_id)
        args = dict(params.validated_data)
        around = args.pop("around_seq", None)
        if around is not None:
            page, before, after = selectors.history_around(
                room=room, viewer=user, around_seq=around, limit=args["limit"]
            )
            out = {"messages": page, "has_more": before, "has_more_before": before, "has_more_after": after}
            return Response(serializers.MessagePageOut(out).data)
        page, has_more = selectors.history_page(room=room, viewer=user, **args)
        return Response(serializers.MessagePageOut({"messages": page, "has_more": has_more}).data)


M = {
    **errors(400, 415),
    **AUTH,
    **errors(403, e403="Not allowed (not the author, past the edit window), or not a member"),
    **errors(404, e404="No such message (or in a private room you are not in)"),
    **errors(409, e409="Room closed, or the message was deleted"),
    **errors(429, e429="Writing too fast (the send allowance)"),
}


class MessageApi(APIView):
    @extend_schema(
        request=serializers.EditIn,
        responses={200: MessageOut, **M, **errors(413, e413="Body too long")},
        summary="Edit your message",
    )
    def patch(self, request: Request, message_id: int) -> Response:
        data = serializers.EditIn(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_edit(
            actor=_allowed(_user(request)), message_id=message_id, body=data.validated_data["body"]
        )
        return Response(serializers.message_data(message))

    @extend_schema(
        request=None,
        responses={204: None, **{k: v for k, v in M.items() if k not in (400, 415)}},
        summary="Delete a message (author, room owner or staff)",
    )
    def delete(self, request: Request, message_id: int) -> Response:
        services.message_delete(actor=_allowed(_user(request)), message_id=message_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreviewApi(APIView):
    @extend_schema(
        request=None,
        responses={200: MessageOut, **{k: v for k, v in M.items() if k not in (400, 415)}},
        summary="Remove one link preview from your message (by its place in `previews`)",
    )
    def delete(self, request: Request, message_id: int, index: int) -> Response:
        message = services.message_preview_remove(
            actor=_allowed(_user(request)), message_id=message_id, index=index
        )
        return Response(serializers.message_data(message))


class PreviewImageApi(APIView):
    @extend_schema(
        responses={
            (200, "image/webp"): OpenApiResponse(description="The picture, as Parley stored it."),
            **AUTH,
            **errors(404, e404="No such preview picture"),
        },
        summary="A link preview's picture (served by Parley: readers never load the remote one)",
    )
    def get(self, request: Request, preview_id: int, name: str) -> HttpResponseBase:
        image = selectors.preview_image(preview_id=preview_id, name=name)
        if image is None:
            raise NotFound(_("No such picture."))
        try:
            handle = upload_storage().open(image, "rb")
        except OSError as exc:
            raise NotFound(_("No such picture.")) from exc
        response = FileResponse(handle, content_type="image/webp")
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        # The name changes when the picture does: it may be kept (by this browser only).
        response["Cache-Control"] = "private, max-age=86400, immutable"
        return response


class ReactionApi(APIView):
    def _toggle(
        self, request: Request, message_id: int, emoji: str, op: Literal["add", "remove"]
    ) -> Response:
        reactions = services.reaction_toggle(
            actor=_allowed(_user(request)), message_id=message_id, emoji=emoji, op=op
        )
        return Response(serializers.ReactionsOut({"reactions": reactions}).data)

    @extend_schema(
        request=None,
        responses={200: serializers.ReactionsOut, **{k: v for k, v in M.items() if k != 415}},
        summary="React with an emoji (idempotent)",
    )
    def post(self, request: Request, message_id: int, emoji: str) -> Response:
        return self._toggle(request, message_id, emoji, "add")

    @extend_schema(
        request=None,
        responses={200: serializers.ReactionsOut, **{k: v for k, v in M.items() if k != 415}},
        summary="Take back a reaction (idempotent)",
    )
    def delete(self, request: Request, message_id: int, emoji: str) -> Response:
        return self._toggle(request, message_id, emoji, "remove")


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


class ReadAllApi(APIView):
    @extend_schema(
        request=None,
        responses={200: serializers.ReadAllOut, **AUTH},
        summary="Mark all as read (every room and direct message you are in)",
    )
    def post(self, request: Request) -> Response:
        moved = services.rooms_mark_all_read(user=_user(request))
        return Response(serializers.ReadAllOut({"rooms": moved}).data)


class SearchApi(ScopedThrottleMixin, APIView):
    throttle_scope = "search"
    throttled_methods = ("GET",)

    @extend_schema(
        parameters=[serializers.SearchIn],
        responses={
            200: serializers.SearchOut,
            400: E[400],
            **errors(429, e429="Too many searches; see Retry-After."),
            **AUTH,
        },
        summary="Search your rooms (newest first, paged by next_cursor)",
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        params = serializers.SearchIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        args = params.validated_data
        page = search.search(
            user=_user(request),
            q_text=args["q"],
            room_id=args.get("room"),
            sender_id=args.get("sender"),
            before=args.get("before"),
            after=args.get("after"),
            below_id=args.get("cursor"),
            limit=args["limit"],
        )
        out = {"results": page.results, "next_cursor": serializers.search_cursor(page.next_after)}
        return Response(serializers.SearchOut(out).data)


# --- reports: members report, staff resolve -------------------------------------------------

R = {
    **errors(400, 415),
    **AUTH,
    **errors(403, e403="Staff only (`staff_only`), or a public room you are not in"),
    **errors(404, e404="No such message or report"),
}


class ReportCreateApi(APIView):
    @extend_schema(
        request=serializers.ReportIn,
        responses={
            201: serializers.ReportOut,
            **R,
            **errors(409, e409="Already reported by you (`already_reported`), or the message was deleted"),
        },
        summary="Report a message to staff (once per message)",
    )
    def post(self, request: Request, message_id: int) -> Response:
        data = serializers.ReportIn(data=request.data)
        data.is_valid(raise_exception=True)
        report = reports.report_create(reporter=_user(request), message_id=message_id, **data.validated_data)
        return Response(serializers.ReportOut(report).data, status=status.HTTP_201_CREATED)


class ReportListApi(APIView):
    @extend_schema(
        parameters=[serializers.ReportQueueIn],
        responses={200: serializers.ReportQueueOut, **{k: v for k, v in R.items() if k not in (404, 415)}},
        summary="The report queue, newest first (staff)",
    )
    def get(self, request: Request) -> Response:
        reports.staff_only(_user(request))
        params = serializers.ReportQueueIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows, cursor = selectors.report_queue(
            status=params.validated_data["status"],
            before_id=params.validated_data["cursor"],
            limit=params.validated_data["limit"],
        )
        out = {"results": rows, "next_cursor": None if cursor is None else str(cursor)}
        return Response(serializers.ReportQueueOut(out).data)


class ReportContextApi(APIView):
    @extend_schema(
        responses={200: serializers.ReportContextOut, **{k: v for k, v in R.items() if k not in (400, 415)}},
        summary="The reported message with the messages around it, read-only, in any room (staff)",
    )
    def get(self, request: Request, report_id: int) -> Response:
        report, page, older, newer = reports.report_context(actor=_user(request), report_id=report_id)
        out = {
            "report_id": report.pk,
            "message_id": report.message_id,
            "room": report.message.room,
            "messages": page,
            "has_more_before": older,
            "has_more_after": newer,
        }
        return Response(serializers.ReportContextOut(out).data)


class ReportResolveApi(APIView):
    @extend_schema(
        request=serializers.ReportResolveIn,
        responses={
            200: serializers.ReportStaffOut,
            **R,
            **errors(409, e409="Already resolved (`already_resolved`)"),
        },
        summary="Resolve a report and every open report of its message with one action (staff)",
    )
    def post(self, request: Request, report_id: int) -> Response:
        data = serializers.ReportResolveIn(data=request.data)
        data.is_valid(raise_exception=True)
        report = reports.report_resolve(actor=_user(request), report_id=report_id, **data.validated_data)
        report = selectors.report_queue_item(report_id=report.pk)
        return Response(serializers.ReportStaffOut(report).data)


class SearchSendersApi(ScopedThrottleMixin, APIView):
    """The search's "From" filter: the people of your rooms (not everyone: guests may not
    list all accounts), so it can offer senders before any result shows them."""

    throttle_scope = "user_search"
    throttled_methods = ("GET",)

    @extend_schema(
        parameters=[serializers.SenderChoicesIn],
        responses={200: UserSearchOut, 400: E[400], **errors(429), **AUTH},
        summary="People to filter a search by: those of your rooms (or of one room)",
    )
    def get(self, request: Request) -> Response:
        params = serializers.SenderChoicesIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        args = params.validated_data
        page, more = search.sender_choices(
            user=_user(request), q_text=args["q"], room_id=args.get("room"), limit=args["limit"]
        )
        return Response(UserSearchOut({"results": page, "has_more": more}).data)


# --- pins and saved messages -------------------------------------------------------------------

P = {
    **AUTH,
    **errors(400, e400="Too many pins in the room (`too_many_pins`)"),
    **errors(
        403,
        e403="Not allowed to pin here (`pin_not_allowed`, `guest`), muted, or not a member",
    ),
    **errors(404, e404="No such message (or in a private room you are not in)"),
    **errors(409, e409="Room closed, or the message was deleted"),
    **errors(429, e429="Writing too fast (the send allowance)"),
}


class PinApi(APIView):
    def _set(self, request: Request, message_id: int, pinned: bool) -> Response:
        pins.pin_set(actor=_allowed(_user(request)), message_id=message_id, pinned=pinned)
        return Response(serializers.PinnedOut({"pinned": pinned}).data)

    @extend_schema(
        request=None,
        responses={200: serializers.PinnedOut, **P},
        summary="Pin a message in its room (owner, staff, members where allowed; idempotent)",
    )
    def post(self, request: Request, message_id: int) -> Response:
        return self._set(request, message_id, True)

    @extend_schema(
        request=None,
        responses={200: serializers.PinnedOut, **{k: v for k, v in P.items() if k != 400}},
        summary="Unpin a message (idempotent)",
    )
    def delete(self, request: Request, message_id: int) -> Response:
        return self._set(request, message_id, False)


class RoomPinsApi(APIView):
    @extend_schema(
        responses={200: serializers.PinsOut, 403: E[403], 404: E[404], **AUTH},
        summary="The room's pinned messages, most recently pinned first",
    )
    def get(self, request: Request, room_id: int) -> Response:
        user = _user(request)
        room = room_for_member(user=user, room_id=room_id)
        return Response(serializers.PinsOut({"pins": pins.room_pins(room=room, viewer=user)}).data)


S = {
    **AUTH,
    **errors(403, e403="A message of a public room you are not in"),
    **errors(404, e404="No such message (or in a private room you are not in)"),
    **errors(409, e409="The message was deleted"),
    **errors(429, e429="Writing too fast (the send allowance)"),
}


class SaveApi(APIView):
    def _set(self, request: Request, message_id: int, saved: bool) -> Response:
        pins.save_set(actor=_allowed(_user(request)), message_id=message_id, saved=saved)
        return Response(serializers.SavedOut({"saved": saved}).data)

    @extend_schema(
        request=None,
        responses={200: serializers.SavedOut, **S},
        summary="Save a message for later (private to you; idempotent)",
    )
    def post(self, request: Request, message_id: int) -> Response:
        return self._set(request, message_id, True)

    @extend_schema(
        request=None,
        responses={200: serializers.SavedOut, **{k: v for k, v in S.items() if k != 409}},
        summary="Take a message off your Saved list (idempotent)",
    )
    def delete(self, request: Request, message_id: int) -> Response:
        return self._set(request, message_id, False)


class SavedListApi(APIView):
    @extend_schema(
        parameters=[serializers.SavedListIn],
        responses={200: serializers.SavedListOut, 400: E[400], **AUTH},
        summary="Your saved messages, newest saved first (paged by next_cursor)",
    )
    def get(self, request: Request) -> Response:
        params = serializers.SavedListIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = pins.saved_page(
            user=_user(request),
            before_id=params.validated_data.get("cursor"),
            limit=params.validated_data["limit"],
        )
        out = {"results": page.rows, "next_cursor": serializers.saved_cursor(page.next_cursor)}
        return Response(serializers.SavedListOut(out).data)


SCHEDULED_ERRORS = {
    **errors(400, 415),
    **AUTH,
    **errors(404, e404="No such scheduled message (yours)"),
    **errors(409, e409="No longer pending (`not_pending`)"),
}


class RoomScheduledApi(APIView):
    @extend_schema(
        request=serializers.ScheduledIn,
        responses={
            201: serializers.ScheduledOut,
            **E,
            **errors(409, e409="Room closed, or too many pending (`too_many_scheduled`)"),
        },
        summary="Schedule a message: posted in the room as you at send_at",
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = serializers.ScheduledIn(data=request.data)
        data.is_valid(raise_exception=True)
        item = scheduling.scheduled_create(author=_user(request), room_id=room_id, **data.validated_data)
        return Response(serializers.scheduled_data(item), status=status.HTTP_201_CREATED)


class ScheduledListApi(APIView):
    @extend_schema(
        responses={200: serializers.ScheduledListOut, **AUTH},
        summary="My scheduled messages and reminders (pending first)",
    )
    def get(self, request: Request) -> Response:
        items = scheduling.scheduled_of(author=_user(request))
        return Response({"results": [serializers.scheduled_data(i) for i in items]})


class ScheduledApi(APIView):
    @extend_schema(
        request=serializers.ScheduledPatchIn,
        responses={200: serializers.ScheduledOut, **SCHEDULED_ERRORS},
        summary="Change the body or time of a pending scheduled message or reminder",
    )
    def patch(self, request: Request, scheduled_id: int) -> Response:
        data = serializers.ScheduledPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        item = scheduling.scheduled_update(
            author=_user(request), scheduled_id=scheduled_id, **data.validated_data
        )
        return Response(serializers.scheduled_data(item))

    @extend_schema(
        request=None,
        responses={200: serializers.ScheduledOut, **SCHEDULED_ERRORS},
        summary="Cancel a pending one",
    )
    def delete(self, request: Request, scheduled_id: int) -> Response:
        item = scheduling.scheduled_cancel(author=_user(request), scheduled_id=scheduled_id)
        return Response(serializers.scheduled_data(item))


# --- protocol 3: threads --------------------------------------------------------------------

T = {
    **AUTH,
    **errors(403, e403="Not a member of this public room"),
    **errors(404, e404="No such message (or in a private room you are not in)"),
}


class ThreadApi(APIView):
    @extend_schema(
        parameters=[serializers.ThreadPageIn],
        responses={200: serializers.ThreadPageOut, **errors(400), **T},
        summary="A thread: its root and replies, paged by seq (a reply's id gives its thread)",
    )
    @replica_reads
    def get(self, request: Request, message_id: int) -> Response:
        params = serializers.ThreadPageIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = threads.thread_page(viewer=_user(request), message_id=message_id, **params.validated_data)
        return Response(serializers.ThreadPageOut(page).data)


class ThreadReadApi(APIView):
    @extend_schema(
        request=serializers.ReadIn,
        responses={200: serializers.ThreadReadOut, **errors(400, 415), **T},
        summary="Move your read marker in a thread (never back)",
    )
    def post(self, request: Request, message_id: int) -> Response:
        data = serializers.ReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        read, unread = threads.thread_mark_read(
            user=_user(request), message_id=message_id, seq=data.validated_data["seq"]
        )
        return Response(serializers.ThreadReadOut({"last_read_seq": read, "unread_count": unread}).data)


class FollowApi(APIView):
    @extend_schema(request=None, responses={200: serializers.FollowOut, **T}, summary="Follow a thread")
    def post(self, request: Request, message_id: int) -> Response:
        following = threads.thread_follow(user=_user(request), message_id=message_id, following=True)
        return Response(serializers.FollowOut({"following": following}).data)

    @extend_schema(
        request=None, responses={200: serializers.FollowOut, **T}, summary="Stop following a thread"
    )
    def delete(self, request: Request, message_id: int) -> Response:
        following = threads.thread_follow(user=_user(request), message_id=message_id, following=False)
        return Response(serializers.FollowOut({"following": following}).data)


class ThreadsApi(APIView):
    @extend_schema(
        parameters=[serializers.ThreadsIn],
        responses={200: serializers.ThreadsOut, **errors(400), **AUTH},
        summary="The threads you follow, newest reply first, with unread reply counts",
    )
    @replica_reads
    def get(self, request: Request) -> Response:
        params = serializers.ThreadsIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        found = threads.threads_followed(user=_user(request), limit=params.validated_data["limit"])
        return Response(serializers.ThreadsOut({"threads": found}).data)
