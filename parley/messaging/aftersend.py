"""The port through which a committed send tells the apps above messaging (issue 30: Web
Push in parley.notify) of its new messages, without messaging importing them: each listener
is registered once by its app's AppConfig.ready and called after the commit with the new
messages' ids. A listener hands the work to a job; it must not block the send."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

log = logging.getLogger(__name__)

Listener = Callable[[list[int]], None]
_listeners: dict[str, Listener] = {}


def provide(name: str, listener: Listener) -> None:
    """Register (or replace) the listener called `name`."""
    _listeners[name] = listener


def sent_after_commit(message_ids: list[int]) -> None:
    """Tell every listener of these new messages once the send commits."""
    if not _listeners or not message_ids:
        return
    ids = list(message_ids)

    def tell() -> None:
        for name, listener in list(_listeners.items()):
            try:
                listener(ids)
            except Exception:  # one listener's failure must not keep the others from hearing
                log.exception("after-send listener %s failed for messages %s", name, ids)

    transaction.on_commit(tell)
