"""The hub's wire format: `kind|target|arg|payload`, one string per event.

Through Redis each event is prefixed with its publisher's origin tag (`@<id>|`,
`backends.RedisBackend`, `cluster.ClusterBackend`), so a process can drop the echo of its
own publishes. On a Redis Cluster the topics carry hash tags (`cluster.channel_for`:
`<prefix>:{r:<id>}`), so each lives on one shard.

The payload is the finished frame text, encoded once by the service that
published it; every process forwards those same characters to its sockets.

kinds:
  r  seq event of room <target>, arg = seq           -> room topic
  e  ephemeral frame for room <target> (typing, ...) -> room topic
  l  lobby frame for every socket                    -> lobby topic
  u  frame for every socket of user <target>         -> user topic
  j  user <target> joined room <arg> ("room:seq")    -> user topic
  x  user <target> left room <arg>                   -> user topic
  c  close user <target>'s sockets; payload = JSON {auth_ids, reason}
"""

from __future__ import annotations

from typing import NamedTuple

ROOM_KINDS = frozenset("re")
USER_KINDS = frozenset("ujxc")


class Envelope(NamedTuple):
    kind: str
    target: int
    arg: str
    payload: str


def pack(kind: str, target: int, arg: str | int, payload: str) -> str:
    return f"{kind}|{target}|{arg}|{payload}"


def unpack(data: str) -> Envelope:
    kind, target, arg, payload = data.split("|", 3)
    return Envelope(kind, int(target), arg, payload)


def topic_for(kind: str, target: int, prefix: str) -> str:
    if kind in ROOM_KINDS:
        return f"{prefix}:r:{target}"
    if kind in USER_KINDS:
        return f"{prefix}:u:{target}"
    return f"{prefix}:lobby"
