"""The search benchmark (issue 13), run in Parley's environment on one database:

    DATABASE_URL=... python -m bench.search --messages 1000000

Builds once (kept between runs, like the history fixture) a room `bench-search` of
`--messages` messages mixed in English, Chinese, Korean and Japanese, drawn from word
lists with a Zipf-like skew, with planted terms at known frequencies: a rare one per
language family (1 in 100,000 messages) and common ones (1 in 20). Then measures, in
process (the selector and the send service, no HTTP):

- search p50/p99 for a rare and a common term, English and CJK, through the index;
- the same terms through the scan that search used before the index (`LIKE '%term%'` over
  every body of the user's rooms, newest first), fewer times: it is slow;
- the send's p50/p99 with the index kept current (SEARCH_INDEX on) and without (off),
  alternating blocks so drift on a busy machine hits both alike.

Issue 34 adds, on the same fixture:

- search over HTTP: `GET /api/v1/search` as the room's member, against a Parley server
  (`python -m parley.serve`, one process, port 8111 + BENCH_PORT_OFFSET) started on the
  same database, `--searches` requests per term on one keep-alive connection;
- the send in three modes: without the index (SEARCH_INDEX off), with the terms written
  by the send's INSERT under the room lock (SEARCH_INDEX_DEFERRED off, the issue-13 way)
  and as shipped (PostgreSQL: filled by the indexer thread after the commit); and how
  long the indexer took to have every message of a block filled after its last ack.

Prints one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

RARE_EN, RARE_ZH = "quasarite", "麒麟"
COMMON_EN, COMMON_JA = "deadline", "会議"
RARE_EVERY, COMMON_EVERY = 100_000, 20


def _words(text: str) -> list[str]:
    return text.split()


EN = _words(
    "the a to and of in is it you that for on we this with be are have not at can will do "
    "just but so get what all about if was like up out one there now time know think good "
    "work team today tomorrow release build test review please thanks update plan call "
    "lunch code bug fix merge issue ticket server client design doc week morning night "
    "coffee office remote meet later maybe sure great idea problem check ship deploy data "
    "report sprint board email customer feature branch commit change version note question"
)
ZH = _words(
    "我们 今天 明天 工作 项目 时间 问题 已经 可以 需要 一下 这个 那个 什么 大家 现在 开始 "
    "完成 测试 发布 代码 服务 客户 文档 周末 早上 晚上 下午 中午 吃饭 咖啡 办公室 天气 "
    "下雨 晴天 计划 讨论 安排 确认 检查 修改 版本 更新 数据 报告 同事 老板 团队 设计 "
    "功能 用户 手机 电脑 网络 邮件 电话 周一 周五 好的 谢谢 没问题 马上 稍等"
)
KO = _words(
    "오늘 내일 회의는 프로젝트 일정 확인 부탁드립니다 감사합니다 검색 기능을 테스트 서버 "
    "배포 코드 리뷰 점심 커피 사무실 주말 아침 저녁 보고서 데이터 고객 문서 버전 업데이트 "
    "팀원 디자인 사용자 문제 해결 완료 시작 준비 먼저 나중에 지금 바로 좋아요 네 아니요 "
    "메일 전화 계획 변경 수정 질문 답변 공유 자료 회사 집"
)
JA = _words(
    "今日 明日 会社 仕事 予定 確認 お願い します ありがとう ございます 資料 共有 テスト "
    "サーバー デプロイ コード レビュー 昼ご飯 コーヒー 週末 朝 夜 報告書 データ お客様 "
    "ドキュメント バージョン 更新 チーム デザイン ユーザー 問題 解決 完了 開始 準備 "
    "先に 後で 今 すぐ いいね はい いいえ メール 電話 計画 変更 修正 質問 回答 検索"
)
JOIN = {"en": " ", "ko": " ", "zh": "", "ja": ""}
END = {"en": ".", "ko": ".", "zh": "。", "ja": "。"}
WORDS = {"en": EN, "zh": ZH, "ko": KO, "ja": JA}
LANGS = ["en", "zh", "ko", "ja"]


def _weights(n: int) -> list[float]:
    return [1.0 / (rank + 1) for rank in range(n)]


def bodies(n: int, seed: int = 13) -> Iterator[str]:
    """`n` message bodies; the i-th is the same on every run (seeded)."""
    rnd = random.Random(seed)
    weights = {lang: _weights(len(w)) for lang, w in WORDS.items()}
    for i in range(n):
        lang = LANGS[i % 4]
        words = rnd.choices(WORDS[lang], weights[lang], k=rnd.randint(4, 14))
        planted = {
            (COMMON_EVERY, 0): COMMON_EN,  # i % 4 == 0: English
            (COMMON_EVERY, 3): COMMON_JA,  # i % 4 == 3: Japanese
            (RARE_EVERY, 776): RARE_EN,
            (RARE_EVERY, 777): RARE_ZH,  # Chinese
        }
        for (every, at), term in planted.items():
            if i % every == at:
                words.insert(rnd.randrange(len(words) + 1), term)
        yield JOIN[lang].join(words) + END[lang]


def build(n: int) -> tuple[int, int]:
    """The room and its member (created, filled up to `n` messages if short); (room id, user id)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from parley.accounts.models import User
    from parley.messaging.models import Message
    from parley.messaging.search_index import PG_INDEX
    from parley.messaging.search_text import document_terms
    from parley.rooms.models import Membership, Room

    user, _ = User.objects.get_or_create(username="bench-search", defaults={"display_name": "Bench search"})
    room = Room.objects.filter(name="bench-search").first()
    if room is None:
        room = Room.objects.create(name="bench-search", visibility="public", owner=user, last_seq=0)
    Membership.objects.get_or_create(room=room, user=user, defaults={"last_read_seq": 0})
    have = Message.objects.filter(room=room).count()
    if have >= n:
        return room.pk, user.pk
    t0 = time.monotonic()
    start = timezone.now() - timedelta(seconds=n)
    cols = [
        "room_id", "seq", "sender_id", "body", "client_id", "created_at",
        "search_text", "mentions", "mentions_room", "reply_excerpt", "attachments", "previews",
        "also_to_room",
    ]  # fmt: skip
    batch: list[tuple] = []

    def flush() -> None:
        with transaction.atomic(), connection.cursor() as cur:
            if connection.vendor == "postgresql":
                with cur.cursor.copy(f"COPY messaging_message ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(cols))
                cur.executemany(f"INSERT INTO messaging_message ({', '.join(cols)}) VALUES ({marks})", batch)
        batch.clear()

    pg = connection.vendor == "postgresql"
    if pg and n - have > 100_000:  # a GIN index builds far faster at once than row by row
        with connection.cursor() as cur:
            cur.execute("DROP INDEX IF EXISTS messaging_message_search")
    for i, body in enumerate(bodies(n)):
        if i < have:
            continue
        seq = i + 1
        created: object = start + timedelta(seconds=i)
        if connection.vendor != "postgresql":
            created = connection.ops.adapt_datetimefield_value(created)
        terms = document_terms(body)
        batch.append(
            (room.pk, seq, user.pk, body, f"srch-{seq}", created, terms, "[]", False, "", "[]", "[]", False)
        )
        if len(batch) >= 20_000:
            flush()
            sys.stderr.write(f"\rsearch fixture: {seq}/{n} ({time.monotonic() - t0:.0f}s)")
    if batch:
        flush()
    Room.objects.filter(pk=room.pk).update(last_seq=n)
    with connection.cursor() as cur:
        if pg:
            cur.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'messaging_message_search'")
            if cur.fetchone() is None:
                sys.stderr.write("\nsearch fixture: building the GIN index\n")
                cur.execute(PG_INDEX)
            cur.execute("VACUUM ANALYZE messaging_message")  # as autovacuum would have by now
        else:
            cur.execute("ANALYZE")
    sys.stderr.write(f"\rsearch fixture: {n} messages in {time.monotonic() - t0:.0f}s\n")
    return room.pk, user.pk


def _stats(times: list[float]) -> dict[str, float]:
    """p99 by nearest rank (the ceil(0.99 n)-th value: of 100 samples the 99th, not the
    largest, which this took until issue 34), and the largest as `max`."""
    times = sorted(times)
    return {
        "p50": statistics.median(times),
        "p99": times[max(0, math.ceil(len(times) * 0.99) - 1)],
        "max": times[-1],
        "n": len(times),
    }


def _time(fn: Callable[[], object], n: int, warm: int = 2) -> dict[str, float]:
    for _ in range(warm):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return _stats(out)


def like_scan(user, q: str) -> list:  # type: ignore[no-untyped-def]
    """What search did before the index: every word `icontains`, newest first, 50 rows."""
    from django.db.models import Q

    from parley.messaging.models import Message
    from parley.rooms.models import Membership

    cond = Q()
    for term in q.split():
        cond &= Q(body__icontains=term)
    rooms = Membership.objects.filter(user=user).values("room_id")
    qs = Message.objects.filter(cond, room_id__in=rooms, deleted_at__isnull=True)
    return list(qs.order_by("-created_at", "-id")[:50])


def measure(room_id: int, user_id: int, n_search: int, n_like: int, n_send: int) -> dict:
    from parley.accounts.models import User
    from parley.messaging.search import search

    user = User.objects.get(pk=user_id)
    terms = {"rare_en": RARE_EN, "rare_zh": RARE_ZH, "common_en": COMMON_EN, "common_ja": COMMON_JA}
    out: dict = {"search": {}, "like": {}, "hits": {}}
    for name, term in terms.items():
        page = search(user=user, q_text=term, limit=20)
        out["hits"][name] = len(page.results)
        out["search"][name] = _time(lambda t=term: search(user=user, q_text=t, limit=20), n_search)
        if n_like:
            out["like"][name] = _time(lambda t=term: like_scan(user, t), n_like, warm=1)
    out["send"] = measure_sends(user, room_id, n_send)
    return out


SEND_MODES = {  # name: (SEARCH_INDEX, SEARCH_INDEX_DEFERRED)
    "indexed": (True, True),  # as shipped: PostgreSQL defers, SQLite writes in the send
    "inline": (True, False),  # the terms written by the send's INSERT, under the room lock
    "unindexed": (False, False),
}


def measure_sends(user, room_id: int, n_send: int) -> dict:  # type: ignore[no-untyped-def]
    """Sends in blocks of 25, the modes' order rotating per block so a busy machine's
    drift hits each alike. After each deferred block: the time until the indexer has
    filled every message of it (its lag behind the last ack)."""
    from django.test.utils import override_settings

    from parley.messaging import search_indexer
    from parley.messaging.services import message_send

    texts = list(bodies(n_send, seed=99))
    names = list(SEND_MODES)
    sends: dict[str, list[float]] = {name: [] for name in names}
    lag: list[float] = []
    block = 25
    for b in range(0, n_send, block):
        turn = (b // block) % len(names)
        for mode in names[turn:] + names[:turn]:
            index, deferred = SEND_MODES[mode]
            with override_settings(SEARCH_INDEX=index, SEARCH_INDEX_DEFERRED=deferred):
                for body in texts[b : b + block]:
                    t = time.perf_counter()
                    message_send(sender=user, room_id=room_id, body=body)
                    sends[mode].append((time.perf_counter() - t) * 1000)
                if mode == "indexed" and search_indexer.deferred():
                    t = time.perf_counter()
                    search_indexer.indexer.idle(timeout=30)
                    lag.append((time.perf_counter() - t) * 1000)
    out: dict = {mode: _stats(v) for mode, v in sends.items()}
    out["ratio_p99"] = out["indexed"]["p99"] / out["unindexed"]["p99"]
    out["inline_ratio_p99"] = out["inline"]["p99"] / out["unindexed"]["p99"]
    if lag:
        out["index_lag_after_block"] = _stats(lag)
    return out


HTTP_PORT = 8111
TOKEN = "pbench-search"


def measure_http(user_id: int, n: int) -> dict:
    """GET /api/v1/search over HTTP as the room's member, per term, against a server of its
    own on this database (same environment, one process, no search throttle)."""
    import hashlib
    import signal
    import subprocess

    import httpx

    from bench.servers import ROOT, wait_port
    from parley.accounts.models import AuthToken

    key_hash = hashlib.sha256(TOKEN.encode()).hexdigest()
    AuthToken.objects.get_or_create(key_hash=key_hash, defaults={"user_id": user_id})
    port = HTTP_PORT + int(os.environ.get("BENCH_PORT_OFFSET", "0"))
    env = dict(os.environ, PORT=str(port), WORKERS="1", THROTTLE_SEARCH="1000000/minute")
    env.pop("REDIS_URL", None)
    logdir = os.path.join(ROOT, "bench", "results", "logs")
    os.makedirs(logdir, exist_ok=True)
    log = open(os.path.join(logdir, "search-http.log"), "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "parley.serve"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    out: dict = {"search": {}, "hits": {}}
    try:
        wait_port(port, proc)
        time.sleep(0.5)
        terms = {"rare_en": RARE_EN, "rare_zh": RARE_ZH, "common_en": COMMON_EN, "common_ja": COMMON_JA}
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Token {TOKEN}"}, timeout=30
        ) as client:
            for name, term in terms.items():

                def get(t: str = term) -> httpx.Response:
                    r = client.get("/api/v1/search", params={"q": t, "limit": 20})
                    r.raise_for_status()
                    return r

                out["hits"][name] = len(get().json()["results"])
                out["search"][name] = _time(get, n, warm=3)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
        log.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--searches", type=int, default=100)
    ap.add_argument("--likes", type=int, default=5)
    ap.add_argument("--sends", type=int, default=400)
    ap.add_argument("--no-http", dest="http", action="store_false", help="skip the HTTP searches")
    a = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    room_id, user_id = build(a.messages)
    result = measure(room_id, user_id, a.searches, a.likes, a.sends)
    if a.http:
        result["http"] = measure_http(user_id, a.searches)
    result["database"] = connection.vendor
    result["messages"] = a.messages
    print(json.dumps(result))


if __name__ == "__main__":
    main()
