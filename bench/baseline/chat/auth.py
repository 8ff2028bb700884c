"""Query-string token auth (`?token=<key>`), the simplest stand-in for the
seeds' session auth (AuthMiddlewareStack)."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware


@database_sync_to_async
def _user_for(key):
    from django.contrib.auth.models import AnonymousUser

    from .models import Token

    try:
        return Token.objects.select_related("user").get(key=key).user
    except Token.DoesNotExist:
        return AnonymousUser()


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        qs = parse_qs(scope.get("query_string", b"").decode())
        scope = dict(scope, user=await _user_for((qs.get("token") or [""])[0]))
        return await super().__call__(scope, receive, send)
