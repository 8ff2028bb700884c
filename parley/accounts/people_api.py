"""REST for issue 31: staff's `people/...` (403 for anyone else), the public invitation
preview and sign-up options, and a person's own sign-ins (`me/sign-ins`)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts import invitations, people, signins
from parley.accounts.avatars import avatar_url
from parley.accounts.models import AuthToken, Invitation, SignIn, User
from parley.common import languages, mail
from parley.common.errors import RateLimited
from parley.common.schema import AUTH, errors
from parley.common.throttles import ScopedThrottleMixin

E403 = errors(403, e403="Not staff (`staff_only`)")
E404 = errors(404, e404="No such person (`person_not_found`)")


# --- shapes ---------------------------------------------------------------------------------
class SignInOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    method = serializers.ChoiceField(choices=SignIn.Method.values)
    at = serializers.DateTimeField()
    ip = serializers.CharField(allow_null=True, help_text="The client address (TRUSTED_PROXIES honoured).")
    device = serializers.CharField(help_text='An approximate device from the User-Agent ("Firefox · Linux").')
    active = serializers.BooleanField(help_text="The login this sign-in started is still signed in.")
    current = serializers.BooleanField(help_text="The login making this request.")


def sign_in_data(row: SignIn, current: set[int] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "id": row.pk,
        "method": row.method,
        "at": row.at,
        "ip": row.ip,
        "device": signins.device_summary(row.user_agent),
        "active": row.token_id is not None,
        "current": row.token_id is not None and row.token_id in current,
    }


class PersonOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    avatar = serializers.CharField()
    email = serializers.CharField()
    email_verified = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    is_active = serializers.BooleanField()
    is_staff = serializers.BooleanField()
    is_superuser = serializers.BooleanField()
    last_sign_in_at = serializers.DateTimeField(allow_null=True)
    last_sign_in_method = serializers.CharField(
        allow_null=True, help_text="A sign-in `method`, as in SignIn."
    )


def person_data(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.shown_name,
        "avatar": avatar_url(user.avatar),
        "email": user.email,
        "email_verified": user.email_verified,
        "date_joined": user.date_joined,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "last_sign_in_at": getattr(user, "last_sign_in_at", None),
        "last_sign_in_method": getattr(user, "last_sign_in_method", None),
    }


class PeopleIn(serializers.Serializer[Any]):
    q = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    state = serializers.ChoiceField(choices=people.STATES, required=False, default=people.ALL)
    offset = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False, default=50)


class PeopleOut(serializers.Serializer[Any]):
    results = PersonOut(many=True)
    count = serializers.IntegerField()
    has_more = serializers.BooleanField()


class PersonSignInsOut(serializers.Serializer[Any]):
    person = PersonOut()
    sign_ins = SignInOut(many=True)


class InvitationIn(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254, trim_whitespace=True)
    language = serializers.ChoiceField(
        choices=languages.choices(),
        required=False,
        help_text="The mail's language (the invited person has none saved yet); the inviter's when left out.",
    )


class InvitationOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    email = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    invited_by = serializers.CharField(allow_null=True, help_text="The inviter's display name.")


def invitation_data(row: Invitation) -> dict[str, Any]:
    return {
        "id": row.pk,
        "email": row.email,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "invited_by": row.invited_by.shown_name if row.invited_by is not None else None,
    }


class InvitationsOut(serializers.Serializer[Any]):
    results = InvitationOut(many=True)


class InvitationPreviewOut(serializers.Serializer[Any]):
    email = serializers.CharField()
    expires_at = serializers.DateTimeField()
    invited_by = serializers.CharField(allow_null=True)


class MySignInsOut(serializers.Serializer[Any]):
    has_password = serializers.BooleanField(help_text="The account has a password of its own.")
    methods = serializers.ListField(
        child=serializers.CharField(),
        help_text="The ways (sign-in `method`s) this account signed in, among its kept sign-ins.",
    )
    sign_ins = SignInOut(many=True)


class SignedOutCountOut(serializers.Serializer[Any]):
    ended = serializers.IntegerField(help_text="How many other logins ended.")


def _actor(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- staff ----------------------------------------------------------------------------------
class PeopleApi(APIView):
    @extend_schema(
        parameters=[PeopleIn],
        responses={200: PeopleOut, **errors(400), **AUTH, **E403},
        summary="People: registered accounts, newest first, with their last sign-in (staff)",
    )
    def get(self, request: Request) -> Response:
        params = PeopleIn(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = people.people_list(actor=_actor(request), **params.validated_data)
        rows = [person_data(u) for u in page.people]
        out = {"results": rows, "count": page.count, "has_more": page.has_more}
        return Response(PeopleOut(out).data)


class PersonDeactivateApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: PersonOut,
            **AUTH,
            **errors(
                403,
                e403="Not staff (`staff_only`), yourself (`self`), or a staff account and you are not a"
                " superuser (`target_is_staff`)",
            ),
            **E404,
        },
        summary="Deactivate an account: every login and socket ends at once, messages stay (staff)",
    )
    def post(self, request: Request, user_id: int) -> Response:
        user = people.person_deactivate(actor=_actor(request), user_id=user_id)
        return Response(PersonOut(person_data(user)).data)


class PersonReactivateApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: PersonOut,
            **AUTH,
            **errors(403, e403="Not staff, yourself, or a staff account and you are not a superuser"),
            **E404,
        },
        summary="Reactivate a deactivated account: the person can sign in again (staff)",
    )
    def post(self, request: Request, user_id: int) -> Response:
        user = people.person_reactivate(actor=_actor(request), user_id=user_id)
        return Response(PersonOut(person_data(user)).data)


class PersonSignInsApi(APIView):
    @extend_schema(
        responses={200: PersonSignInsOut, **AUTH, **E403, **E404},
        summary="Someone's recent sign-ins: how, when, from which address and device (staff)",
    )
    def get(self, request: Request, user_id: int) -> Response:
        actor = _actor(request)
        person = people.person_get(actor=actor, user_id=user_id)
        rows = people.person_sign_ins(actor=actor, user_id=user_id)
        out = {"person": person_data(person), "sign_ins": [sign_in_data(r) for r in rows]}
        return Response(PersonSignInsOut(out).data)


class InvitationsApi(APIView):
    @extend_schema(
        responses={200: InvitationsOut, **AUTH, **E403},
        summary="Invitations still pending: not used, withdrawn or expired (staff)",
    )
    def get(self, request: Request) -> Response:
        people.staff_only(_actor(request))
        rows = invitations.invitation_pending()
        return Response(InvitationsOut({"results": [invitation_data(r) for r in rows]}).data)

    @extend_schema(
        request=InvitationIn,
        responses={
            201: InvitationOut,
            **errors(400, e400="Not an address (`invalid`), or an account has it (`email_in_use`)"),
            **AUTH,
            **E403,
            **errors(429, e429="This mailbox had its share of mail from us; see Retry-After"),
        },
        summary="Invite someone by email: a link that creates their account, once, for a week (staff)",
        description=(
            "Works whatever REGISTRATION says. A new invitation to the same address withdraws the"
            " earlier ones. The link is `SITE_URL/invitation?token=…`; the token is never shown again."
        ),
    )
    def post(self, request: Request) -> Response:
        actor = _actor(request)
        people.staff_only(actor)
        data = InvitationIn(data=request.data)
        data.is_valid(raise_exception=True)
        invitation, token = invitations.invitation_create(actor=actor, email=data.validated_data["email"])
        if not mail.recipient_take(invitation.email):
            invitations.invitation_revoke(invitation_id=invitation.pk)
            raise RateLimited(_("Too much mail to this address; try again later."), retry_after=3600)
        language = data.validated_data.get("language") or actor.language or translation.get_language()
        invitations.invitation_send(invitation=invitation, token=token, language=language)
        return Response(InvitationOut(invitation_data(invitation)).data, status=status.HTTP_201_CREATED)


class InvitationApi(APIView):
    @extend_schema(
        request=None,
        responses={204: None, **AUTH, **E403, **errors(404, e404="No such invitation")},
        summary="Withdraw an invitation: its link stops working (staff)",
    )
    def delete(self, request: Request, invitation_id: int) -> Response:
        people.staff_only(_actor(request))
        invitations.invitation_revoke(invitation_id=invitation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- anyone ---------------------------------------------------------------------------------
class InvitationPreviewApi(ScopedThrottleMixin, APIView):
    permission_classes = [AllowAny]
    throttle_scope = "invite_use"
    throttled_methods = ("GET",)

    @extend_schema(
        responses={
            200: InvitationPreviewOut,
            **AUTH,
            **errors(404, e404="No such invitation (`invitation_not_found`)"),
            **errors(410, e410="Used (`invitation_used`), withdrawn (`invitation_revoked`) or expired"),
            **errors(429),
        },
        summary="What a mailed invitation is for (the address it makes an account for)",
    )
    def get(self, request: Request, token: str) -> Response:
        row = invitations.invitation_preview(token=token)
        out = {
            "email": row.email,
            "expires_at": row.expires_at,
            "invited_by": row.invited_by.shown_name if row.invited_by is not None else None,
        }
        return Response(InvitationPreviewOut(out).data)


# --- me -------------------------------------------------------------------------------------
def _login(request: Request) -> tuple[AuthToken | None, str | None]:
    token = request.auth if isinstance(request.auth, AuthToken) else None
    return token, (request.session.session_key if token is None else None)


class MySignInsApi(APIView):
    @extend_schema(
        responses={200: MySignInsOut, **AUTH},
        summary="How I sign in, and my recent sign-ins and devices (`current`: this one)",
    )
    def get(self, request: Request) -> Response:
        user = _actor(request)
        token, session_key = _login(request)
        current = signins.current_token_ids(user=user, token=token, session_key=session_key)
        rows = signins.my_sign_ins(user=user)
        out = {
            "has_password": user.has_usable_password(),
            "methods": sorted({r.method for r in rows}),
            "sign_ins": [sign_in_data(r, current) for r in rows],
        }
        return Response(MySignInsOut(out).data)


class SignOutOthersApi(APIView):
    @extend_schema(
        request=None,
        responses={200: SignedOutCountOut, **AUTH},
        summary="Sign out everywhere else: every other login and its sockets end",
    )
    def post(self, request: Request) -> Response:
        token, session_key = _login(request)
        ended = signins.sign_out_others(user=_actor(request), token=token, session_key=session_key)
        return Response(SignedOutCountOut({"ended": ended}).data)
