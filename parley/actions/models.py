"""The one table of `parley.actions`: what an import made of each thing it read (issue 32)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKey(models.Model):
    """A thing from another system (a Slack user, channel, message, file) and the row an
    import made of it. Running an import again looks its keys up here first, so nothing
    is made twice; the source's ids are stable, so the key is (source, kind, its id).
    `local_id` is the row's pk in the table `kind` names (no foreign key: one table for
    every kind; a row deleted since simply is not made again)."""

    source = models.CharField(max_length=16, verbose_name=_("source"))  # "slack"
    kind = models.CharField(max_length=16, verbose_name=_("kind"))  # user, room, message, file
    key = models.CharField(max_length=160, verbose_name=_("key"))
    local_id = models.BigIntegerField(verbose_name=_("local id"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("import key")
        verbose_name_plural = _("import keys")
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "key"], name="actions_importkey_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.key} -> {self.local_id}"
