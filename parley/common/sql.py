"""Helpers for the few statements written out by hand (the send and the hello room list):
names quoted the current database's way, tables taken from the models."""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    return q(model._meta.db_table)


def marks(n: int) -> str:
    """`%s, %s, …`: placeholders for an IN list or a row of n values."""
    return ", ".join(["%s"] * n)
