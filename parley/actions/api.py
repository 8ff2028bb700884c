"""REST views of the operations that span apps: thin, as every view (parse, call the
action, render). The rest of each path's methods are the app's own view, subclassed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout as django_logout
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts import api as accounts_api
from parley.accounts import invitations, signin, sso_api
from parley.accounts import serializers as account_serializers
from parley.accounts.models import AuthToken, User
from parley.actions import erasure, export, onboarding, posting, room_export, serializers, tasks
from parley.actions.models import RoomExport
from parley.bots.serializers import CommandResultOut
from parley.common.errors import Invalid
from parley.common.schema import AUTH, errors
from parley.common.throttles import RecipientThrottle, ScopedThrottleMixin, throttles
from parley.messaging import api as messaging_api
from parley.messaging import selectors as message_selectors
from parley.messaging import serializers as message_serializers
from parley.messaging.services import SendResult
from parley.realtime import runtime
from parley.realtime.shapes import MessageOut

ERRORS, E429 = accounts_api.ERRORS, accounts_api.E429


class RegisterApi(APIView):
    permission_classes = [AllowAny]

    def mail_recipient(self, request: Request) -> str:
        return accounts_api.body_email(request)

    def get_throttles(self) -> list[Any]:
        found = throttles("register")
        return [*found, RecipientThrottle()] if accounts_api.body_email(self.request).strip() else found

    @extend_schema(
        request=account_serializers.RegisterIn,
        responses={
            201: account_serializers.AuthOut,
            **ERRORS,
            **errors(
                403,
                e403="REGISTRATION is `closed` (`registration_closed`), or `invite` and no invitation was"
                " given (`invitation_required`)",
            ),
            **errors(404, e404="No such invitation (`invitation_not_found`)"),
            **errors(410, e410="The invitation was used (`invitation_used`), withdrawn or has expired"),
            **E429,
        },
        summary="Register (an email address is optional and is verified by a mailed link)",
    )
    def post(self, request: Request) -> Response:
        sso_api.password_sign_in_check()
        data = account_serializers.RegisterIn(data=request.data)
        data.is_valid(raise_exception=True)
        invitations.registration_check(invitation=data.validated_data.get("invitation", ""))
        user = onboarding.account_register(**data.validated_data, language=translation.get_language())
        if user.email and not user.email_verified:
            accounts_api.send_verification(user)
        return accounts_api.signed_in(request, user, status.HTTP_201_CREATED, method="register")


class GuestApi(ScopedThrottleMixin, APIView):
    permission_classes = [AllowAny]
    throttle_scope = "guest"

    @extend_schema(
        request=account_serializers.GuestIn,
        responses={
            201: account_serializers.AuthOut,
            **ERRORS,
            **errors(403, e403="Guests come in only when REGISTRATION is `open` (`guests_closed`)"),
            **E429,
        },
        summary="Guest sign-in",
    )
    def post(self, request: Request) -> Response:
        invitations.guest_check()
        data = account_serializers.GuestIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = onboarding.guest_register(
            nickname=data.validated_data["nickname"],
            avatar=data.validated_data.get("avatar") or None,
            language=translation.get_language(),
            time_zone=data.validated_data.get("time_zone", ""),
        )
        return accounts_api.signed_in(request, user, status.HTTP_201_CREATED, method="guest")


class LogoutApi(APIView):
    @extend_schema(request=None, responses={204: None, **AUTH}, summary="Sign out this session or token")
    def post(self, request: Request) -> Response:
        token = request.auth if isinstance(request.auth, AuthToken) else None
        session_key = request.session.session_key if token is None else None
        erasure.sign_out(user=request.user, token=token, session_key=session_key)  # type: ignore[arg-type]
        if token is None:
            django_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BodyOnDeleteSchema(AutoSchema):
    """drf-spectacular documents request bodies for PUT, PATCH and POST only; `DELETE me`
    takes one (the password and what becomes of the messages), so the schema says so and
    the client uses the generated type instead of a hand-written one."""

    def _get_request_body(self, direction: str = "request"):  # type: ignore[no-untyped-def]
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


# GET and PATCH are the account's; DELETE is the erasure. (A class docstring would become
# the operations' description in the schema.)
class MeApi(ScopedThrottleMixin, accounts_api.MeApi):
    schema = BodyOnDeleteSchema()
    # Deleting the account checks the current password: per user and address, beside the
    # sign-in limits its wrong guesses count toward (parley.accounts.signin).
    throttle_scope = "password_check"
    throttled_methods = ("DELETE",)

    @extend_schema(
        request=account_serializers.AccountDeleteIn,
        responses={204: None, **ERRORS, **E429},
        summary='Delete my account (signs out everywhere; messages kept as "Deleted user" or deleted)',
    )
    def delete(self, request: Request) -> Response:
        data = account_serializers.AccountDeleteIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        password = data.validated_data.get("password")
        if not user.is_guest and not signin.current_password_check(
            request, user=user, password=password or ""
        ):
            raise Invalid(_("The password is wrong."), fields={"password": [_("Wrong password.")]})
        erasure.account_delete(
            user=request.user,  # type: ignore[arg-type]
            password=data.validated_data.get("password"),
            messages=data.validated_data["messages"],
        )
        django_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyExportApi(APIView):
    @extend_schema(
        responses={(200, "application/json"): OpenApiTypes.OBJECT, **AUTH},
        summary="Download my data: profile, memberships, my messages and reactions (a JSON attachment)",
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        user = request.user
        assert isinstance(user, User)
        response = StreamingHttpResponse(export.export_chunks(user=user), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="parley-{user.username}.json"'
        response["Cache-Control"] = "no-store"
        return response


# GET is the room's history (messaging's); POST posts a message or a command.
class MessagesApi(messaging_api.MessagesApi):
    @extend_schema(
        request=message_serializers.SendIn,
        responses={
            201: MessageOut,
            200: MessageOut,
            202: CommandResultOut,
            **messaging_api.E,
        },
        summary="Send a message (idempotent on client_id), or run a slash command (202: nothing stored)",
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = message_serializers.SendIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        if not runtime.current().limits.allow_send_sync(user.pk):
            raise messaging_api.too_fast()
        posted = posting.post(
            sender=user,
            room_id=room_id,
            **data.validated_data,
            store=posting.store_now,
            command=posting.command_now,
        )
        if isinstance(posted, SendResult):
            result = posted
            if not result.created:  # a retry: reactions may have come since; a new message has none
                message_selectors.with_reactions([result.message], user)
        elif posted.result is None:
            out = {"command": posted.command, "text": posted.notice, "level": posted.level}
            return Response(CommandResultOut(out).data, status=status.HTTP_202_ACCEPTED)
        else:
            result = posted.result
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(message_serializers.message_data(result.message), status=code)


class RoomExportApi(APIView):
    @extend_schema(
        parameters=[serializers.RoomExportIn],
        responses={
            # The document's fields: docs/protocol.md, "Room export"; with files=1, a zip of
            # room.json and files/<id>/<name>.
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/zip"): OpenApiTypes.BINARY,
            202: serializers.RoomExportStatusOut,
            400: ERRORS[400],
            **errors(403, e403="Not the room's owner or staff"),
            **errors(404, e404="No such room (private rooms are not visible to non-members)"),
            **AUTH,
        },
        summary="Export a room (owner or staff): 202 with progress while it is built, then 200 with the file",
    )
    def get(self, request: Request, room_id: int) -> HttpResponseBase:
        params = serializers.RoomExportIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        export, created = room_export.export_request(
            actor=user, room_id=room_id, files=params.validated_data["files"]
        )
        if created:
            tasks.room_export_later(export.pk)
        if export.state == RoomExport.State.DONE:
            response = FileResponse(
                room_export.export_open(export),
                content_type="application/zip" if export.files else "application/json",
                as_attachment=True,
                filename=room_export.export_filename(export),
            )
            response["Cache-Control"] = "no-store"
            return response
        status_url = request.get_full_path()
        body = serializers.RoomExportStatusOut(
            {**room_export.export_status(export), "status_url": status_url}
        ).data
        response_202 = Response(body, status=status.HTTP_202_ACCEPTED)
        response_202["Location"] = status_url
        response_202["Retry-After"] = "1"
        return response_202
