"""Where upload bytes live: Django's `uploads` storage (STORAGES), the file system under
data/uploads by default or an S3-compatible store. Files are removed only after the
transaction that let go of them commits, so a rollback never leaves a row without its file."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.files.storage import Storage, storages
from django.db import transaction

log = logging.getLogger(__name__)


def upload_storage() -> Storage:
    return storages["uploads"]


def delete_files(names: Iterable[str]) -> None:
    """Remove these stored files now; a missing file or a store error is logged, not raised
    (the rows are gone already, and the periodic clean-up is no place for a crash)."""
    store = upload_storage()
    for name in names:
        if not name:
            continue
        try:
            store.delete(name)
        except Exception:
            log.exception("could not delete the stored upload %s", name)


def delete_files_on_commit(names: Iterable[str]) -> None:
    wanted = [n for n in names if n]
    if wanted:
        transaction.on_commit(lambda: delete_files(wanted))
