"""Migrations record schema, not labels: the autodetector that `makemigrations` and `migrate`
use here leaves out the attributes a person reads.

Django writes `verbose_name`, `help_text`, `error_messages` and `choices` into migrations
although none of them reaches the database, so rewording a label (or marking it for
translation) made a migration that changed nothing: six `*_i18n_labels` files before 1.0.
Django 5.2's documented hook (`Command.autodetector`) lets a project choose the
autodetector; this one compares and writes both states with those attributes removed.
docs/decisions.md (2026-12-07, migrations) says why this and not the alternatives.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.state import ModelState, ProjectState
from django.db.models import Field

# Read by people, never by the database (Django makes no CHECK constraint from `choices`).
FIELD_LABELS = ("verbose_name", "help_text", "error_messages", "choices")
MODEL_LABELS = ("verbose_name", "verbose_name_plural")


def field_without_labels(field: Field[Any, Any]) -> Field[Any, Any]:
    _name, _path, args, kwargs = field.deconstruct()
    for key in FIELD_LABELS:
        kwargs.pop(key, None)
    return field.__class__(*args, **kwargs)


def model_without_labels(model: ModelState) -> ModelState:
    options = {key: value for key, value in model.options.items() if key not in MODEL_LABELS}
    return ModelState(
        model.app_label,
        model.name,
        fields=[(name, field_without_labels(field)) for name, field in model.fields.items()],
        options=options,
        bases=model.bases,
        managers=list(model.managers),
    )


def state_without_labels(state: ProjectState) -> ProjectState:
    """A copy of `state` whose models carry no labels (the original is left as it is)."""
    return ProjectState(
        models={key: model_without_labels(model) for key, model in state.models.items()},
        real_apps=state.real_apps,
    )


class LabelBlindAutodetector(MigrationAutodetector):
    """Detects schema changes only: label changes make no migration, new migrations carry none."""

    def __init__(self, from_state: ProjectState, to_state: ProjectState, questioner: Any = None) -> None:
        super().__init__(state_without_labels(from_state), state_without_labels(to_state), questioner)
