"""`makemigrations` with the label-blind autodetector (parley/common/autodetector.py)."""

from django.core.management.commands import makemigrations

from parley.common.autodetector import LabelBlindAutodetector


class Command(makemigrations.Command):
    autodetector = LabelBlindAutodetector
