"""Where an upload's bytes land while its body is parsed: beside the files they join.

Django's own handlers keep a file part over FILE_UPLOAD_MAX_MEMORY_SIZE in a temporary
file of the system's temp folder; storing it then copies it into the upload folder when
that is another file system (a container's /tmp and its data volume). Here the part is
written into a hidden folder of the file-system storage itself, so `storage.save` renames
it into place: with the streamed body (parley.web.handler) the bytes are written once.
For another storage (S3) the part goes to the temp folder, as Django does, and the storage
sends it on."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest

from parley.uploads.storage import upload_storage

INCOMING = ".incoming"


def incoming_folder() -> str | None:
    """The folder file parts are written to: inside the upload folder when the storage is
    the file system (created when missing), else None (the system's temp folder)."""
    storage = upload_storage()
    if not isinstance(storage, FileSystemStorage):
        return settings.FILE_UPLOAD_TEMP_DIR
    folder = Path(storage.location) / INCOMING
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return str(folder)


class IncomingFile(UploadedFile):
    """A file part being written to its temporary file; `temporary_file_path` lets the
    file-system storage move it instead of copying it. The file is removed when closed
    unless it was moved (the request's end closes it)."""

    def __init__(self, name: str, content_type: str, charset: str | None, extra: Any) -> None:
        self.part: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed with the request
            prefix="part-", suffix=".upload", dir=incoming_folder()
        )
        super().__init__(self.part, name, content_type, 0, charset, extra)

    def temporary_file_path(self) -> str:
        return str(self.part.name)

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):  # moved into place already
            self.part.close()


class IncomingUploadHandler(FileUploadHandler):
    """Writes each file part to an `IncomingFile` as it is parsed (after the size guard and
    Django's in-memory handler, which keeps small files in memory)."""

    file: IncomingFile

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = IncomingFile(
            self.file_name or "file", self.content_type or "", self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> IncomingFile:
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def upload_interrupted(self) -> None:
        self.discard()

    def discard(self) -> None:
        """Remove the part unless it was moved into place (a no-op then)."""
        if hasattr(self, "file"):
            self.file.close()


def discard_incoming(request: HttpRequest) -> None:
    """At the end of an upload request, whatever happened: remove the parts not stored.

    Django closes (and so removes) parsed files when the request ends, but not those a
    parse left half-written when it failed (the limit reached by the bytes, a broken
    body); those would wait for the garbage collector."""
    for handler in getattr(request, "_upload_handlers", ()):
        if isinstance(handler, IncomingUploadHandler):
            handler.discard()


def remove_stale_parts(*, older_than: float) -> int:
    """Remove parts a process left behind (killed mid-upload: nothing closed them) whose
    last write is before `older_than` (a timestamp). Returns how many."""
    storage = upload_storage()
    if not isinstance(storage, FileSystemStorage):
        return 0
    removed = 0
    for part in (Path(storage.location) / INCOMING).glob("part-*.upload"):
        with contextlib.suppress(FileNotFoundError):  # moved or closed meanwhile
            if part.stat().st_mtime < older_than:
                part.unlink()
                removed += 1
    return removed
