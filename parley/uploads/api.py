"""Upload endpoints: put a file in a room, fetch it (members only)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, MemoryFileUploadHandler
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.accounts.models import User
from parley.common.errors import Invalid, NotFound
from parley.common.schema import AUTH, errors
from parley.common.throttles import ScopedThrottleMixin
from parley.realtime.shapes import AttachmentOut
from parley.uploads import presigned, selectors, services, tasks
from parley.uploads.incoming import IncomingUploadHandler, discard_incoming
from parley.uploads.models import Upload
from parley.uploads.serializers import (
    EmojiIn,
    EmojiListOut,
    EmojiOut,
    PresignIn,
    PresignOut,
    UploadIn,
    attachment_data,
    presign_data,
)
from parley.uploads.storage import upload_storage

MULTIPART_SLACK = 64 * 1024  # the multipart envelope around the file
UPLOAD_READ_CHUNK = 256 * 1024  # bytes of an upload's body the parser asks for at a time
# A file fetched by itself (not as an <img>) runs nothing and loads nothing.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _checked(data: Any, message: Promise) -> Any:
    """The serializer, validated; else its field errors as the one error shape."""
    if not data.is_valid():
        fields: dict[str, list[str | Promise]] = {str(k): [str(e) for e in v] for k, v in data.errors.items()}
        raise Invalid(message, fields=fields)
    return data


class LimitedUploadHandler(FileUploadHandler):
    """Refuses a body over UPLOAD_MAX_BYTES while it is parsed, before it is written anywhere
    (by its Content-Length when sent, else as the bytes arrive); it passes the data on to
    Django's own handlers, which keep small files in memory and spool the rest to disk."""

    def limit(self) -> int:
        return settings.UPLOAD_MAX_BYTES

    def refusal(self) -> Exception:
        return services.too_large()

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        if content_length > self.limit() + MULTIPART_SLACK:
            raise self.refusal()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit():
            raise self.refusal()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class UploadsApi(ScopedThrottleMixin, APIView):
    throttle_scope = "upload"
    parser_classes = [MultiPartParser]
    # A large body is read from the connection while it is parsed (parley.web.handler), and
    # its file part written where the storage keeps it (parley.uploads.incoming).
    streams_request_body = True

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before anything reads the body (the session's CSRF check reads the form).
        handlers = [
            LimitedUploadHandler(request),
            MemoryFileUploadHandler(request),
            IncomingUploadHandler(request),
        ]
        for handler in handlers:
            # The parser reads the smallest of these at a time; with a streamed body each
            # read is a hop from the view thread to the event loop and back (64 KiB by
            # default: 160 hops for 10 MiB made the upload itself 3 times slower).
            handler.chunk_size = UPLOAD_READ_CHUNK
        request.upload_handlers = handlers
        return super().initialize_request(request, *args, **kwargs)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            discard_incoming(request)

    @extend_schema(
        request={"multipart/form-data": UploadIn},
        responses={
            201: AttachmentOut,
            **errors(400, e400="No file, or its name has invisible characters or is too long"),
            **AUTH,
            **errors(403, e403="Not a member of this public room"),
            **errors(404, e404="No such room (or private and not a member)"),
            **errors(409, e409="The room is closed"),
            **errors(413, e413="The file is larger than UPLOAD_MAX_BYTES"),
            **errors(415, e415="The body is not multipart/form-data"),
            **errors(429, e429="Too many uploads; see Retry-After."),
        },
        summary="Upload a file to a room (attach it to a message with `attachments`)",
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = UploadIn(data=request.data)
        if not data.is_valid():
            raise Invalid(
                _("Choose a file to upload."), fields={"file": [_("Send the file in the `file` field.")]}
            )
        file = data.validated_data["file"]
        assert isinstance(request.user, User)
        upload = services.upload_create(uploader=request.user, room_id=room_id, file=file, name=file.name)
        if upload.is_image:
            tasks.thumbnail_later(upload.pk)
        return Response(attachment_data(upload), status=status.HTTP_201_CREATED)


class PresignApi(ScopedThrottleMixin, APIView):
    throttle_scope = "upload"

    @extend_schema(
        request=PresignIn,
        responses={
            201: PresignOut,
            **errors(400, e400="A bad name or content type (bad_content_type)"),
            **AUTH,
            **errors(403, e403="Not a member of this public room"),
            **errors(
                404,
                e404="No such room, or this server takes no presigned uploads (presigned_uploads_off): "
                "use POST rooms/{id}/uploads",
            ),
            **errors(409, e409="The room is closed"),
            **errors(413, e413="The file is larger than UPLOAD_MAX_BYTES"),
            **errors(429, e429="Too many uploads; see Retry-After."),
        },
        summary="Get an address to upload a file straight to the S3-compatible store",
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = _checked(PresignIn(data=request.data), _("Give the file's name, size and type."))
        assert isinstance(request.user, User)
        ticket = presigned.presign_create(uploader=request.user, room_id=room_id, **data.validated_data)
        return Response(PresignOut(presign_data(ticket)).data, status=status.HTTP_201_CREATED)


class PresignCompleteApi(APIView):
    @extend_schema(
        request=None,
        responses={
            201: AttachmentOut,
            **errors(400, e400="The stored object is not the size or type announced (upload_mismatch)"),
            **AUTH,
            **errors(404, e404="No such presigned upload of yours (or presigned_uploads_off)"),
            **errors(409, e409="The file has not arrived yet (upload_incomplete), or the room is closed"),
            **errors(410, e410="The address expired before completion (upload_expired)"),
            **errors(413, e413="The stored object is larger than UPLOAD_MAX_BYTES"),
        },
        summary="Finish a presigned upload: the file becomes attachable",
    )
    def post(self, request: Request, key: str) -> Response:
        assert isinstance(request.user, User)
        upload = presigned.presign_complete(uploader=request.user, key=key)
        if upload.is_image:
            tasks.thumbnail_later(upload.pk)
        return Response(attachment_data(upload), status=status.HTTP_201_CREATED)


class UploadFileApi(APIView):
    thumbnail = False

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(description="The file (or its thumbnail, image/webp)."),
            **AUTH,
            **errors(404, e404="No such file, or not a member of its room (they look the same)"),
        },
        summary="Fetch an uploaded file (members of its room only)",
    )
    def get(self, request: Request, upload_id: int, name: str) -> HttpResponseBase:
        assert isinstance(request.user, User)
        upload = selectors.upload_for_viewer(viewer=request.user, upload_id=upload_id)
        return file_response(upload, thumbnail=self.thumbnail)


def file_response(upload: Upload, *, thumbnail: bool) -> HttpResponseBase:
    """The stored file with headers that keep a browser from running it.

    Images are inline; everything else (HTML and SVG included) is an attachment with
    `nosniff` and a sandboxing CSP. With UPLOAD_ACCEL_REDIRECT (production behind nginx)
    the body is left to nginx: the answer names the file in `X-Accel-Redirect`."""
    if thumbnail:
        if not upload.thumbnail_name:
            raise NotFound(selectors.NOT_FOUND)
        stored, content_type, inline = upload.thumbnail_name, "image/webp", True
        filename = f"{PurePosixPath(upload.name).stem or 'file'}.webp"
    else:
        stored, content_type, inline = upload.storage_name, upload.content_type, upload.is_image
        filename = upload.name
    if content_type == "text/plain":
        content_type = "text/plain; charset=utf-8"
    accel = settings.UPLOAD_ACCEL_REDIRECT
    response: HttpResponseBase
    if accel:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + quote(stored)
    else:
        try:
            handle = upload_storage().open(stored, "rb")
        except (FileNotFoundError, OSError) as exc:
            raise NotFound(selectors.NOT_FOUND) from exc
        response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, max-age=3600"
    return response


class EmojiUploadHandler(LimitedUploadHandler):
    """The same guard with the emoji's cap (CUSTOM_EMOJI_MAX_BYTES)."""

    def limit(self) -> int:
        return settings.CUSTOM_EMOJI_MAX_BYTES

    def refusal(self) -> Exception:
        return services.emoji_too_large()


class EmojiApi(ScopedThrottleMixin, APIView):
    throttle_scope = "upload"
    parser_classes = [MultiPartParser]

    def get_throttles(self) -> list[Any]:
        return super().get_throttles() if self.request.method == "POST" else []

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        if request.method == "POST":  # before anything reads the body
            request.upload_handlers = [EmojiUploadHandler(request), *request.upload_handlers]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        responses={200: EmojiListOut, **AUTH},
        summary="The custom emoji, by name",
        operation_id="v1_emoji_list",
    )
    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)
        may = services.emoji_may_add(request.user)
        return Response(EmojiListOut({"emoji": selectors.emoji_list(), "can_add": may}).data)

    @extend_schema(
        request={"multipart/form-data": EmojiIn},
        responses={
            201: EmojiOut,
            **errors(400, e400="A bad name (bad_emoji_name), or not a PNG, GIF or WebP (bad_emoji_file)"),
            **AUTH,
            **errors(403, e403="CUSTOM_EMOJI does not let you add emoji (emoji_not_allowed)"),
            **errors(409, e409="The name is taken (emoji_taken)"),
            **errors(413, e413="The file is larger than CUSTOM_EMOJI_MAX_BYTES"),
            **errors(415, e415="The body is not multipart/form-data"),
            **errors(429, e429="Too many uploads; see Retry-After."),
        },
        summary="Add a custom emoji (staff, or members when CUSTOM_EMOJI=members)",
    )
    def post(self, request: Request) -> Response:
        data = _checked(EmojiIn(data=request.data), _("Give the emoji a name and a picture."))
        assert isinstance(request.user, User)
        made = services.emoji_create(
            actor=request.user, name=data.validated_data["name"], file=data.validated_data["file"]
        )
        return Response(EmojiOut(made).data, status=status.HTTP_201_CREATED)


class EmojiDetailApi(APIView):
    @extend_schema(
        responses={204: None, **AUTH, **errors(403, e403="Not its creator nor staff"), **errors(404)},
        summary="Remove a custom emoji (its creator or staff)",
    )
    def delete(self, request: Request, name: str) -> Response:
        assert isinstance(request.user, User)
        services.emoji_delete(actor=request.user, name=name)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmojiFileApi(APIView):
    @extend_schema(
        responses={
            (200, "image/*"): OpenApiResponse(description="The emoji's picture (PNG, GIF or WebP)."),
            **AUTH,
            **errors(404, e404="No such emoji"),
        },
        summary="A custom emoji's picture",
        operation_id="v1_emoji_file",
    )
    def get(self, request: Request, emoji_id: int, filename: str) -> HttpResponseBase:
        found = selectors.emoji_file(emoji_id=emoji_id, filename=filename)
        if found is None:
            raise NotFound(_("No such emoji."))
        try:
            handle = upload_storage().open(found.storage_name, "rb")
        except OSError as exc:
            raise NotFound(_("No such emoji.")) from exc
        response = FileResponse(handle, content_type=found.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = FILE_CSP
        # A new picture under the same name has a new address.
        response["Cache-Control"] = "private, max-age=86400, immutable"
        return response
