"""The unsubscribe link of digest mails: a page with one button (GET), the change itself (POST).

A GET never changes anything (mail scanners open links); mail clients that support
RFC 8058 POST to the same URL ("List-Unsubscribe=One-Click"), which is one click."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from parley.common.errors import ServiceError
from parley.notify import services


@csrf_exempt  # the signed token is the credential; no session is involved
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("token", "") or request.POST.get("token", "")
    if request.method == "GET":
        return render(request, "notify/unsubscribe.html", {"token": token, "done": False})
    try:
        services.digest_unsubscribe(token=token)
    except ServiceError:
        return render(request, "notify/unsubscribe.html", {"invalid": True}, status=400)
    return render(request, "notify/unsubscribe.html", {"done": True})
