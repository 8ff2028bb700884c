"""Mail from Django templates: `mail/<name>.txt` and `mail/<name>.html`, a subject from
`mail/<name>.subject.txt`, sent through the backend EMAIL_URL chose."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def site_link(path: str) -> str:
    """An absolute link into Parley for a mail (SITE_URL + path)."""
    return f"{settings.SITE_URL}{path}"


def send(*, to: str, template: str, context: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"mail/{template}.subject.txt", context).split())
    text = render_to_string(f"mail/{template}.txt", context)
    html = render_to_string(f"mail/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    message.send()
