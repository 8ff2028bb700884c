"""`VendorSQL`: a migration operation that runs hand-written SQL on some database vendors only.

Django's `RunSQL` runs the same statements everywhere, so SQL that only one database needs
(an FTS5 table on SQLite, a GIN index on PostgreSQL, a generated column on MariaDB) used to
hide in `RunPython` functions. There `sqlmigrate` cannot show it and a test cannot read it.
As an operation that reduces to SQL, each vendor's statements appear in
`manage.py sqlmigrate` on that vendor, and `parley/common/tests/test_migrations.py` reads
every vendor's statements to check that an app's migrations touch only its own tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import migrations, router
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState


def run(schema_editor: BaseDatabaseSchemaEditor, sql: Mapping[str, Sequence[str]]) -> None:
    """The statements for this connection's vendor, one `execute` each (collected, not run,
    under `sqlmigrate`)."""
    for statement in sql.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


class VendorSQL(migrations.RunSQL):
    """SQL keyed by `connection.vendor` ("sqlite", "postgresql", "mysql"); a vendor that is
    not named runs nothing. `reverse` is keyed the same way; without it the operation is
    irreversible, as `RunSQL` without `reverse_sql` is."""

    def __init__(
        self,
        sql: Mapping[str, Sequence[str]],
        reverse: Mapping[str, Sequence[str]] | None = None,
        *,
        hints: dict[str, Any] | None = None,
        elidable: bool = False,
    ) -> None:
        self.vendor_sql = {vendor: list(statements) for vendor, statements in sql.items()}
        self.vendor_reverse = (
            None if reverse is None else {vendor: list(statements) for vendor, statements in reverse.items()}
        )
        super().__init__(
            sql=[s for statements in self.vendor_sql.values() for s in statements],
            reverse_sql=None if self.vendor_reverse is None else migrations.RunSQL.noop,
            hints=hints,
            elidable=elidable,
        )

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {"sql": self.vendor_sql}
        if self.vendor_reverse is not None:
            kwargs["reverse"] = self.vendor_reverse
        if self.hints:
            kwargs["hints"] = self.hints
        if self.elidable:
            kwargs["elidable"] = True
        return (self.__class__.__qualname__, [], kwargs)

    def statements(self) -> list[str]:
        """Every vendor's forward and reverse statements (what a check reads)."""
        both = [*self.vendor_sql.values(), *(self.vendor_reverse or {}).values()]
        return [s for statements in both for s in statements]

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            run(schema_editor, self.vendor_sql)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if self.vendor_reverse is None:
            raise NotImplementedError("You cannot reverse this operation")
        if router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            run(schema_editor, self.vendor_reverse)

    def describe(self) -> str:
        return f"SQL for {', '.join(sorted(self.vendor_sql))} only"
