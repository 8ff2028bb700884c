"""Helpers for the few statements written out by hand (the send and the hello room list):
names quoted the current database's way, tables taken from the models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[Model]) -> str:
    return q(model._meta.db_table)


def marks(n: int) -> str:
    """`%s, %s, …`: placeholders for an IN list or a row of n values."""
    return ", ".join(["%s"] * n)


class RowReader:
    """Model instances from the columns of a hand-written SELECT, as the ORM would build them
    (the same database converters and field converters per column), without compiling a
    query: the SELECT lists `columns(alias)` and the reader takes that many values per row.

    Made once per model and database vendor (`reader`), since building the converters walks
    the fields."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self._columns: dict[str, str] = {}
        self.converters: list[tuple[int, list[Any], Any]] = []
        for i, field in enumerate(self.fields):
            col = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                self.converters.append((i, found, col))

    @property
    def width(self) -> int:
        return len(self.fields)

    def columns(self, alias: str) -> str:
        found = self._columns.get(alias)
        if found is None:
            found = self._columns[alias] = ", ".join(f"{alias}.{q(str(f.column))}" for f in self.fields)
        return found

    def values(self, row: Sequence[Any]) -> list[Any]:
        out = list(row)
        for i, found, col in self.converters:
            value = out[i]
            for convert in found:
                value = convert(value, col, connection)
            out[i] = value
        return out

    def build(self, row: Sequence[Any]) -> Model:
        return self.model.from_db(connection.alias, self.attnames, self.values(row))


_readers: dict[tuple[type[Model], str], RowReader] = {}


def reader(model: type[Model]) -> RowReader:
    key = (model, connection.vendor)
    found = _readers.get(key)
    if found is None:
        found = _readers[key] = RowReader(model)
    return found
