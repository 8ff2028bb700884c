"""Web Push endpoints: the server's public key, and the signed-in person's devices."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts.models import User
from parley.common.schema import AUTH, errors
from parley.notify import push, serializers, vapid


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class PushKeyApi(APIView):
    @extend_schema(
        responses={200: serializers.PushKeyOut, **AUTH},
        summary="The server's VAPID public key, to subscribe a browser to push",
    )
    def get(self, request: Request) -> Response:
        return Response({"public_key": vapid.public_key()})


class PushSubscriptionsApi(APIView):
    @extend_schema(
        responses={200: serializers.PushSubscriptionOut(many=True), **AUTH},
        summary="Your devices that receive push notifications, newest first",
    )
    def get(self, request: Request) -> Response:
        rows = push.subscription_list(user=_user(request))
        return Response(serializers.PushSubscriptionOut(rows, many=True).data)

    @extend_schema(
        request=serializers.PushSubscriptionIn,
        responses={
            201: serializers.PushSubscriptionOut,
            200: serializers.PushSubscriptionOut,
            **AUTH,
            **errors(400, 415),
        },
        summary="Subscribe this device to push (201; 200 when its endpoint is already known)",
    )
    def post(self, request: Request) -> Response:
        data = serializers.PushSubscriptionIn(data=request.data)
        data.is_valid(raise_exception=True)
        keys = data.validated_data["keys"]
        done = push.subscription_add(
            user=_user(request),
            endpoint=data.validated_data["endpoint"],
            p256dh=keys["p256dh"],
            auth=keys["auth"],
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(
            serializers.PushSubscriptionOut(done.subscription).data,
            status=status.HTTP_201_CREATED if done.created else status.HTTP_200_OK,
        )


class PushSubscriptionDetailApi(APIView):
    @extend_schema(
        request=None,
        responses={204: None, **AUTH, **errors(404, e404="No such subscription of yours")},
        summary="Stop pushing to a device",
    )
    def delete(self, request: Request, subscription_id: int) -> Response:
        push.subscription_remove(user=_user(request), subscription_id=subscription_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
