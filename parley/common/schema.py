"""The API's error shape for the OpenAPI schema, declared once; the wire shapes inside answers.

Every error answer is `{"error": {"code", "message", "fields"}}` (see `errors.py`);
views list the statuses they can answer with `errors(...)`.

The shapes REST shares with the frames (a message, a user, ...) are pydantic models
(`parley.realtime.shapes`). A view answers with one directly
(`responses={200: MessageOut}`, the body built by the shape's function); a DRF answer
that holds one declares a `ShapeField`. Either way the OpenAPI component is the model's
own JSON Schema under the model's name, the one the frames' schema has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.hooks import postprocess_schema_enums
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from pydantic import BaseModel
from rest_framework import serializers

_COMPONENT_REF = "#/components/schemas/{model}"


class ShapeField(serializers.Field):  # type: ignore[type-arg]
    """A wire shape inside a DRF answer: `build` (the function the frames use) makes its
    JSON from the object, or the object is that JSON already (no `build`); the schema
    refers to `shape`'s component. Output only: it reads nothing from a request."""

    def __init__(self, shape: type[BaseModel], build: Callable[[Any], Any] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.shape = shape
        self.build = build

    def to_representation(self, value: Any) -> Any:
        return value if self.build is None else self.build(value)


def shape_list(
    shape: type[BaseModel], build: Callable[[Any], Any] | None = None, **kwargs: Any
) -> serializers.ListField:
    """A list of one shape (a serializer's `many=True`)."""
    return serializers.ListField(child=ShapeField(shape, build), **kwargs)


def shape_many(shape: type[BaseModel]) -> serializers.ListSerializer:  # type: ignore[type-arg]
    """A list of one shape as a whole answer (`responses={200: shape_many(RoomOut)}`)."""
    return serializers.ListSerializer(child=ShapeField(shape))


def _nested(annotation: Any, found: dict[str, type[BaseModel]]) -> None:
    """The models an annotation names, at any depth (`list[ReplyOut] | None` names ReplyOut)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__name__ not in found:
            found[annotation.__name__] = annotation
            for field in annotation.model_fields.values():
                _nested(field.annotation, found)
        return
    for arg in get_args(annotation):
        _nested(arg, found)


def _component(auto_schema: Any, shape: type[BaseModel], schema: dict[str, Any]) -> ResolvedComponent:
    # The model itself is the component's identity, as when drf-spectacular resolves it.
    component = ResolvedComponent(
        name=shape.__name__, type=ResolvedComponent.SCHEMA, object=shape, schema=schema
    )
    auto_schema.registry.register_on_missing(component)
    return component


def _shape_schema(auto_schema: Any, shape: type[BaseModel]) -> dict[str, Any]:
    """`shape`'s JSON Schema, the shapes it nests registered as components of their own."""
    schema = shape.model_json_schema(ref_template=_COMPONENT_REF)
    models: dict[str, type[BaseModel]] = {}
    _nested(shape, models)
    for name, definition in schema.pop("$defs", {}).items():
        _component(auto_schema, models[name], definition)
    # The shape it extends is a component too (RoomOut extends the frames' RoomPublicOut):
    # the client then has one type for each, the frames' included.
    for base in shape.__mro__[1:]:
        if issubclass(base, BaseModel) and base is not BaseModel and base.model_fields:
            _component(auto_schema, base, _shape_schema(auto_schema, base))
    return schema


class ShapeFieldExtension(OpenApiSerializerFieldExtension):
    target_class = ShapeField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        shape = self.target.shape
        return _component(auto_schema, shape, _shape_schema(auto_schema, shape)).ref


class ShapeExtension(OpenApiSerializerExtension):
    """A shape as a whole answer: its component, made like a `ShapeField`'s (this takes
    precedence over drf-spectacular's own pydantic extension, which makes the same schema
    in serialization mode)."""

    target_class = BaseModel
    match_subclasses = True
    priority = 1

    def get_name(self, auto_schema: Any, direction: Any) -> str:
        return self.target.__name__  # type: ignore[no-any-return]

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        return _shape_schema(auto_schema, self.target)


def enums_outside_shapes(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular's enum hook (`VisibilityEnum`, ...), kept off the shapes' components:
    they stay the exact JSON Schema their model makes, the frames' definitions included.
    A shape's component is the one with a `title` equal to its name (pydantic writes one,
    DRF never does)."""
    schemas = result.get("components", {}).get("schemas", {})
    shapes = {name: schema for name, schema in schemas.items() if schema.get("title") == name}
    for name in shapes:
        del schemas[name]
    result = postprocess_schema_enums(result, generator, **kwargs)
    result["components"]["schemas"] = dict(sorted({**result["components"]["schemas"], **shapes}.items()))
    return result


class ErrorDetailOut(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `not_found`, `rate_limited`.")
    message = serializers.CharField(help_text="A sentence for people.")
    # DRF's metaclass moves declared fields off the class, so this does not shadow `.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field name -> messages; empty unless the input was invalid.",
    )
    reason = serializers.CharField(
        required=False,
        help_text="Only with code `signed_out` (401): why the login ended: `password_changed`, "
        "`password_reset`, `account_deleted`, `account_deactivated`, `guest_removed`, `logged_out`.",
    )


# Not `ErrorOut`: that name is the WebSocket's `error` frame, a different shape, and the
# client's types would then name two things alike.
class ApiErrorOut(serializers.Serializer[Any]):
    error = ErrorDetailOut()


DESCRIPTIONS = {
    400: "Invalid input; `error.fields` says which.",
    401: "Not signed in, or the token or session sent is not valid (any endpoint that reads credentials).",
    403: "Not allowed.",
    404: "Not found.",
    409: "Conflict with the current state.",
    410: "Gone: it existed but no longer serves (`error.code` says why).",
    413: "Too large.",
    415: "The body is not JSON.",
    429: "Too many requests; slow down.",
    503: "The database is briefly unreachable; nothing was done, retry after `Retry-After` seconds.",
}


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ApiErrorOut, description=description)


def errors(*codes: int, **described: str) -> dict[int, OpenApiResponse]:
    """Error responses for `codes`; `described` overrides a description (`e404="No such room"`)."""
    out = {}
    for code in codes:
        out[code] = error(described.get(f"e{code}", DESCRIPTIONS[code]))
    return out


# Every view that reads credentials can answer these two, whatever else it does.
AUTH = errors(401, 503)


class BodyOnDeleteSchema(AutoSchema):
    """drf-spectacular documents request bodies for PUT, PATCH and POST only; a DELETE that
    takes one (a password and a code to confirm it) says so, so the client uses the
    generated type instead of a hand-written one."""

    def _get_request_body(self, direction: str = "request"):  # type: ignore[no-untyped-def]
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"
