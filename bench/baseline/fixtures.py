"""Create N users with tokens `bench-<i>` in the baseline database (idempotent).

python -m bench.baseline.fixtures --users 10000
"""

import argparse
import os


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, required=True)
    a = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.seedchat.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection

    from bench.baseline.chat.models import Token

    have = User.objects.filter(username__startswith="bench").count()
    if have < a.users:
        users = []
        for i in range(have, a.users):
            u = User(username=f"bench{i}")
            u.set_unusable_password()
            users.append(u)
        User.objects.bulk_create(users, batch_size=2000)
        ids = dict(User.objects.filter(username__startswith="bench").values_list("username", "id"))
        Token.objects.bulk_create(
            [Token(key=f"bench-{i}", user_id=ids[f"bench{i}"]) for i in range(have, a.users)],
            batch_size=2000,
            ignore_conflicts=True,
        )
    with connection.cursor() as cur:
        cur.execute("TRUNCATE chat_message")
    print(f"baseline fixtures: {User.objects.count()} users")


if __name__ == "__main__":
    main()
