"""Bulk fixtures in Parley's own models (run with Parley's environment).

    DJANGO_SETTINGS_MODULE=config.settings python -m bench.parley_fixtures \
        --users 10000 --history 1000000

Creates users bench<i> with token key `pbench-<i>` (benchmark database only),
rooms bench-r100 (users 0-99), bench-r1000 (0-999), bench-m<j> (10j..10j+9,
j < users/10) and bench-hist (user 0, `--history` messages inserted set-based
with INSERT ... SELECT generate_series, not one by one). Idempotent: it only
adds what is missing. Prints {"rooms": {name: id}} as JSON on the last line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, required=True)
    ap.add_argument("--history", type=int, default=0)
    a = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import OuterRef, Subquery

    from parley.accounts.models import AuthToken, User
    from parley.messaging.models import Message, RoomEvent
    from parley.rooms.models import Membership, Room

    with transaction.atomic():
        have = set(User.objects.filter(username__startswith="bench").values_list("username", flat=True))
        new = []
        for i in range(a.users):
            if f"bench{i}" not in have:
                u = User(username=f"bench{i}", display_name=f"Bench {i}")
                u.set_unusable_password()
                new.append(u)
        User.objects.bulk_create(new, batch_size=2000)
        uid = dict(User.objects.filter(username__startswith="bench").values_list("username", "id"))
        AuthToken.objects.bulk_create(
            [
                AuthToken(
                    user_id=uid[f"bench{i}"], key_hash=hashlib.sha256(f"pbench-{i}".encode()).hexdigest()
                )
                for i in range(a.users)
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )

        def room(name: str, members: range) -> int:
            r = Room.objects.filter(name=name).first()
            if r is None:
                r = Room.objects.create(
                    name=name, topic="benchmark", visibility="public", owner_id=uid["bench0"], last_seq=0
                )
            Membership.objects.bulk_create(
                [Membership(room=r, user_id=uid[f"bench{i}"], last_read_seq=0) for i in members],
                batch_size=2000,
                ignore_conflicts=True,
            )
            return r.id

        rooms = {
            "bench-r100": room("bench-r100", range(min(100, a.users))),
            "bench-r1000": room("bench-r1000", range(min(1000, a.users))),
        }
        for j in range(a.users // 10):
            rooms[f"bench-m{j}"] = room(f"bench-m{j}", range(10 * j, 10 * j + 10))
        rooms["bench-hist"] = room("bench-hist", range(1))

    # read markers catch up so `hello` unread counts stay small between runs (as for people
    # who read their rooms), only where they fell behind
    head = Room.objects.filter(pk=OuterRef("room_id")).values("last_seq")[:1]
    Membership.objects.filter(user__username__startswith="bench", last_read_seq__lt=Subquery(head)).update(
        last_read_seq=Subquery(head)
    )

    if a.history:
        hist = Room.objects.get(pk=rooms["bench-hist"])
        if hist.last_seq < a.history:
            mt, et = Message._meta.db_table, RoomEvent._meta.db_table
            start = hist.last_seq + 1
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(
                    f"""INSERT INTO {mt} (room_id, seq, sender_id, body, client_id, created_at,
                                          reply_excerpt, mentions, mentions_room, attachments,
                                          also_to_room)
                        SELECT %s, g, %s, 'history message number ' || g, 'hist-' || g,
                               now() - ((%s - g) || ' seconds')::interval, '', '[]', false, '[]',
                               false
                        FROM generate_series(%s, %s) AS g""",
                    [hist.id, uid["bench0"], a.history, start, a.history],
                )
                cur.execute(
                    f"""INSERT INTO {et} (room_id, seq, kind, message_id, frame, created_at)
                        SELECT m.room_id, m.seq, 'message', m.id,
                               json_build_object('type', 'message', 'room', m.room_id, 'seq', m.seq,
                                 'message', json_build_object('id', m.id, 'room', m.room_id,
                                   'seq', m.seq, 'body', m.body, 'client_id', m.client_id))::text,
                               m.created_at
                        FROM {mt} m WHERE m.room_id = %s AND m.seq >= %s""",
                    [hist.id, start],
                )
                Room.objects.filter(pk=hist.id).update(last_seq=a.history)
    # Planner statistics for what was just written: a bench box may run without autovacuum.
    with connection.cursor() as cur:
        for model in (Message, RoomEvent, Membership, Room, AuthToken):
            cur.execute(f"ANALYZE {model._meta.db_table}")
    print(json.dumps({"rooms": rooms}))


if __name__ == "__main__":
    main()
