"""`migrate` with the label-blind autodetector, so its "models have changes that are not yet
reflected in a migration" notice agrees with `makemigrations` (parley/common/autodetector.py)."""

from django.core.management.commands import migrate

from parley.common.autodetector import LabelBlindAutodetector


class Command(migrate.Command):
    autodetector = LabelBlindAutodetector
