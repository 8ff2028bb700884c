"""The migration history stays as a 1.0 ships it: linear per app, each app's migrations
touching only its own tables, and no migration made by a label (docs/decisions.md,
2026-12-07: migrations)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import migrations, models
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.graph import MigrationGraph
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.base import Operation
from django.db.migrations.questioner import MigrationQuestioner
from django.db.migrations.state import ModelState, ProjectState

from parley.common.autodetector import LabelBlindAutodetector
from parley.common.vendor_sql import VendorSQL


def parley_apps() -> set[str]:
    return {config.label for config in apps.get_app_configs() if config.name.startswith("parley.")}


def loaded() -> MigrationLoader:
    """The migrations on disk, as a new database would see them (no connection: nothing applied)."""
    return MigrationLoader(None, ignore_no_migrations=True)


def test_each_app_has_one_leaf_and_no_merge_migration() -> None:
    loader = loaded()
    for app in sorted(parley_apps()):
        leaves = loader.graph.leaf_nodes(app)
        assert len(leaves) <= 1, (
            f"{app} has {len(leaves)} leaf migrations {leaves}: rebase one onto the other"
        )
        for key in loader.graph.nodes:
            if key[0] != app:
                continue
            parents = [parent for parent in loader.graph.node_map[key].parents if parent.key[0] == app]
            assert len(parents) <= 1, f"{key} merges {[p.key for p in parents]}: keep the history linear"


def app_of_tables() -> dict[str, str]:
    """Every table of a Parley model (many-to-many tables too) -> the app that owns it."""
    owners: dict[str, str] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in parley_apps():
            owners[model._meta.db_table.lower()] = model._meta.app_label
    return owners


def flat(operations: Sequence[Operation]) -> Iterator[Operation]:
    for operation in operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            yield from flat(operation.database_operations)
        else:
            yield operation


def sql_of(operation: Operation) -> list[str]:
    if isinstance(operation, VendorSQL):
        return operation.statements()
    if isinstance(operation, migrations.RunSQL):
        both: list[Any] = [operation.sql, operation.reverse_sql]
        return [str(s) for part in both if part for s in ([part] if isinstance(part, str) else part)]
    return []


def foreign_tables(app: str, operation: Operation, owners: dict[str, str]) -> set[str]:
    text = " ".join(sql_of(operation)).lower()
    return {table for table, owner in owners.items() if owner != app and re.search(rf"\b{table}\b", text)}


def test_an_app_migrates_only_its_own_tables() -> None:
    """Schema operations name their own app's models by construction; hand-written SQL is
    read (every vendor's, through VendorSQL); raw SQL inside RunPython cannot be read, so it
    is refused."""
    owners = app_of_tables()
    loader = loaded()
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if app not in parley_apps():
            continue
        for operation in flat(migration.operations):
            assert not foreign_tables(app, operation, owners), (
                f"{app}.{name} alters {foreign_tables(app, operation, owners)}: "
                "move it to the migrations of the app that owns the table"
            )
            if isinstance(operation, migrations.RunPython):
                for code in (operation.code, operation.reverse_code):
                    names = getattr(getattr(code, "__code__", None), "co_names", ())
                    assert "execute" not in names, (
                        f"{app}.{name}: {getattr(code, '__name__', code)} runs SQL: write it as VendorSQL"
                    )


def test_the_migration_check_reads_the_vendor_sql() -> None:
    """The check above would see `common` altering `rooms_room`, as it did before the squash."""
    owners = app_of_tables()
    altering = VendorSQL({"mysql": ["CREATE UNIQUE INDEX x ON rooms_room (name)"]})
    own = VendorSQL({"sqlite": ["CREATE VIRTUAL TABLE messaging_message_fts USING fts5(search_text)"]})
    assert foreign_tables("common", altering, owners) == {"rooms_room"}
    assert foreign_tables("messaging", own, owners) == set()


def states(label: str = "thing", max_length: int = 8, **field_options: Any) -> ProjectState:
    field = models.CharField(max_length=max_length, **field_options)
    fields: list[tuple[str, models.Field[Any, Any]]] = [
        ("id", models.BigAutoField(primary_key=True)),
        ("kind", field),
    ]
    model = ModelState("demo", "Thing", fields, options={"verbose_name": label})
    return ProjectState(models={("demo", "thing"): model})


def changes(
    detector: type[MigrationAutodetector], before: ProjectState, after: ProjectState
) -> dict[str, Any]:
    questioner = MigrationQuestioner(specified_apps={"demo"})
    return detector(before, after, questioner).changes(graph=MigrationGraph())


def test_labels_make_no_migration_and_schema_changes_still_do() -> None:
    before = states(verbose_name="kind", help_text="What it is.", choices=[("a", "A")])
    reworded = states(
        "item", verbose_name="sort", help_text="Which sort.", choices=[("a", "Ay"), ("b", "Bee")]
    )
    assert changes(MigrationAutodetector, before, reworded)  # what Django alone would write
    assert changes(LabelBlindAutodetector, before, reworded) == {}
    wider = states(max_length=16, verbose_name="kind")
    (migration,) = changes(LabelBlindAutodetector, before, wider)["demo"]
    (operation,) = migration.operations
    assert isinstance(operation, migrations.AlterField)
    assert "verbose_name" not in operation.field.deconstruct()[3]  # written without its label


@pytest.mark.django_db
def test_the_models_match_the_migrations() -> None:
    """What `make lint` runs: a model change without its migration fails here too."""
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
