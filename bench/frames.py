"""The sizes of the frames Parley publishes for a message (issue 18) and the bytes each
delivery costs a socket, full and compact (issue 34).

    python -m bench.frames      # DJANGO_SETTINGS_MODULE and DATABASE_URL as for the bench

Stores, in the benchmark's `bench-r100` room (`python -m bench.parley_fixtures --users 100`)
and inside a transaction that is rolled back (nothing is kept, nothing is published: events
publish on commit), a short message, a 500-character one, a reply to it, a reply in a thread
(and its root's new summary), three reactions to the reply and an edit of it, through the
services a client's send reaches; then reads the frames those services logged (the very text
the hub forwards) and prints, per event:

- `frame`, `publish`: the frame's bytes and those of the wire envelope `kind|room|seq|frame`
  that one PUBLISH carries (issue 18; docs/scaling.md);
- `full`, `compact`: the bytes one delivery writes to a socket (the WebSocket frame, header
  included: `Outgoing.raw`) for a socket of the full form and one opened with
  `?wire=compact` (docs/performance.md, "Issue 34: wire size").
"""

from __future__ import annotations

import json
import os


class _Rollback(Exception):
    pass


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import transaction

    from parley.accounts.models import User
    from parley.messaging import services
    from parley.messaging.models import RoomEvent
    from parley.realtime import wire
    from parley.realtime.outgoing import Outgoing
    from parley.rooms.models import Room

    room = Room.objects.get(name="bench-r100")
    alice, bob, carol, dave = (User.objects.get(username=f"bench{i}") for i in range(4))
    sizes: dict[str, dict[str, int]] = {}
    try:
        with transaction.atomic():
            head = room.last_seq
            services.message_send(sender=alice, room_id=room.pk, body="see you at 6?")
            long = services.message_send(
                sender=bob, room_id=room.pk, body=("lorem ipsum dolor sit amet " * 20)[:500]
            )
            reply = services.message_send(
                sender=carol,
                room_id=room.pk,
                body="yes, and bring the slides @bench1",
                reply_to=long.message.pk,
            )
            services.message_send(sender=dave, room_id=room.pk, body="which slides?", thread=long.message.pk)
            for who, emoji in ((alice, "👍"), (bob, "🎉"), (dave, "👍")):
                services.reaction_toggle(actor=who, message_id=reply.message.pk, emoji=emoji, op="add")
            services.message_edit(
                actor=carol, message_id=reply.message.pk, body="yes, and bring the slides please @bench1"
            )
            names = [
                "message, short text (13 chars)",
                "message, 500-char text",
                "message, reply with a mention",
                "message, reply in a thread",
                "message.updated, the thread root's summary",
                "reaction (1st on the message)",
                "reaction (2nd)",
                "reaction (3rd)",
                "message.updated, reply with 3 reactions",
            ]
            events = list(RoomEvent.objects.filter(room=room, seq__gt=head).order_by("seq"))
            for name, event in zip(names, events, strict=True):
                out = Outgoing(event.frame)
                sizes[name] = {
                    "frame_bytes": len(event.frame.encode()),
                    "publish_bytes": len(wire.pack("r", room.pk, event.seq, event.frame).encode()),
                    "full_ws_bytes": len(out.raw),
                    "compact_ws_bytes": len(out.compact.raw),
                }
            raise _Rollback
    except _Rollback:
        pass
    print(" frame publish   full compact  saved  event")
    for name, s in sizes.items():
        saved = 1 - s["compact_ws_bytes"] / s["full_ws_bytes"]
        print(
            f"{s['frame_bytes']:6d} {s['publish_bytes']:7d} {s['full_ws_bytes']:6d} "
            f"{s['compact_ws_bytes']:7d} {saved:6.0%}  {name}"
        )
    print(json.dumps(sizes, ensure_ascii=False))


if __name__ == "__main__":
    main()
