"""Load an Immich OpenAPI spec once per process and check traffic against it.

openapi-core 0.23 does the validation. Quirks handled here (each one documented where it
is handled):

* The spec is built with ``Config(spec_validator_cls=None)``: the Immich document fails
  strict schema validation of the spec itself, the operations are fine.
* Security is *not* validated by openapi-core; the fake implements Immich's auth itself
  (``x-api-key``, 401/403 bodies), so a missing key is an auth error, not a spec
  violation.
* openapi-core decodes every non-file multipart field as ``text/plain`` and never casts
  it, so a boolean form field ``isFavorite=true`` would be reported as "'true' is not of
  type 'boolean'". Such errors are dropped when the string casts cleanly to the declared
  type (as Immich does).
* openapi-core ignores ``nullable: true`` next to an ``allOf`` wrapper (Immich uses it
  for e.g. ``UserAdminResponseDto.license``), so ``null`` there is reported; such errors
  are dropped when the spec marks that very property nullable.
* Binary responses: the content type really sent must be one the spec documents, or,
  where the spec documents ``application/octet-stream`` (any file), the MIME type of an
  image or video file, which is what Immich (and this fake) send for a photo or video.
  Anything else (JSON, text, HTML, no type) is a violation. openapi-core then checks
  status and a short body sample against the documented media type (the schema is
  ``format: binary``: any bytes), so big downloads are not read twice. ``206 Partial
  Content`` is validated as the documented ``200``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import functools
import json
import os
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any, Literal, cast

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.exceptions import (
    MissingRequestBody,
    RequestBodyValidationError,
)
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from werkzeug.datastructures import Headers, ImmutableMultiDict

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from jsonschema_path import SchemaPath

SpecName = Literal["v2", "v3"]

SPEC_DIR = Path(__file__).parents[2] / ".." / "shared" / "immich"
"""Where the shared specs live: ``../shared/immich`` next to the repository."""
SPEC_FILES: dict[str, str] = {
    "v3": "immich-openapi-specs.json",
    "v2": "immich-openapi-specs-v2.7.5.json",
}
SPEC_ENV = "IMMICH_OPENAPI_SPEC"
"""Environment variable that overrides the path of the v3 spec."""
API_PREFIX = "/api"
_SPEC_URI = "urn:immich-openapi"
BINARY_SAMPLE = 64
"""Bytes of a binary body handed to openapi-core (the schema accepts any bytes)."""

FILE_TYPES = ("image", "video")
"""MIME types Immich sends where the spec says ``application/octet-stream``."""

_CASTS: dict[str, Any] = {
    "boolean": lambda value: {"true": True, "false": False}[value.lower()],
    "integer": int,
    "number": float,
}


def spec_path(spec: SpecName | Path) -> Path:
    """Return the spec file for ``"v3"``, ``"v2"`` or an explicit path."""
    if isinstance(spec, Path):
        return spec
    if spec == "v3" and (override := os.environ.get(SPEC_ENV)):
        return Path(override)
    return (SPEC_DIR / SPEC_FILES[spec]).resolve()


class _RequestValidator(V30RequestValidator):
    """Validate parameters and body only; the fake checks credentials itself."""

    def _iter_errors(
        self, request: Any, operation: SchemaPath, path: SchemaPath
    ) -> Iterator[Exception]:
        """Yield parameter and body errors (a missing optional body is fine)."""
        yield from self._iter_parameters_errors(request, operation, path)
        try:
            self._get_body(request.body, request.content_type, operation)
        except MissingRequestBody:
            pass
        except RequestBodyValidationError as exc:
            yield exc


@dataclass(slots=True)
class SpecRequest:
    """A request in the shape openapi-core's ``Request`` protocol expects."""

    path: str
    path_pattern: str
    method: str
    parameters: RequestParameters
    content_type: str
    body: bytes | None
    host_url: str = "http://127.0.0.1"

    @classmethod
    def build(
        cls,
        *,
        method: str,
        path: str,
        template: str,
        path_params: Mapping[str, str],
        query: Mapping[str, str] | list[tuple[str, str]],
        headers: list[tuple[str, str]],
        content_type: str,
        body: bytes | None,
    ) -> SpecRequest:
        """Build from plain values (``path`` and ``template`` without ``/api``)."""
        items = list(query.items()) if not isinstance(query, list) else query
        return cls(
            path=API_PREFIX + path,
            path_pattern=API_PREFIX + template,
            method=method.lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(items),
                header=Headers(headers),
                path=dict(path_params),
            ),
            content_type=content_type,
            body=body,
        )


@dataclass(slots=True)
class SpecResponse:
    """A response in the shape openapi-core's ``Response`` protocol expects."""

    status_code: int
    content_type: str
    data: bytes | None
    headers: Headers = field(default_factory=Headers)


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the spec, with Immich's auth extensions."""

    operation_id: str
    method: str
    template: str
    regex: re.Pattern[str]
    permission: str | None
    admin_only: bool
    public: bool
    success_status: int
    response_media: str | None
    request_media: str | None

    @property
    def binary_response(self) -> bool:
        """Whether the success response is a file rather than JSON."""
        return self.response_media is not None and "json" not in self.response_media

    def _rank(self) -> tuple[int, ...]:
        """Sort key: literal segments win over ``{param}`` segments."""
        return tuple(
            1 if part.startswith("{") else 0 for part in self.template.split("/")
        )


class ImmichSpec:
    """A parsed spec: raw document, operation index, schema helpers and validators."""

    def __init__(self, path: Path) -> None:
        """Read and index ``path`` (use :func:`load_spec` to share instances)."""
        self.path = path
        self.raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self.schemas: dict[str, Any] = self.raw["components"]["schemas"]
        self.operations: dict[str, Operation] = {}
        self._by_method: dict[str, list[Operation]] = {}
        for template, item in self.raw["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    continue
                operation = _make_operation(method.upper(), template, op)
                self.operations[operation.operation_id] = operation
                self._by_method.setdefault(operation.method, []).append(operation)
        for ops in self._by_method.values():
            ops.sort(key=Operation._rank)
        create = self.schemas["AssetMediaCreateDto"]
        self.is_v2 = "deviceAssetId" in create.get("required", [])
        """The v2 flavour: upload needs deviceAssetId, albums carry owner/assets."""
        self.version = (2, 7, 5) if self.is_v2 else (3, 0, 0)
        self.queue_names: tuple[str, ...] = tuple(self.schemas["QueueName"]["enum"])
        self.permissions: tuple[str, ...] = tuple(self.schemas["Permission"]["enum"])
        self.openapi = OpenAPI.from_dict(
            self.raw,
            config=Config(
                spec_validator_cls=None, request_validator_cls=_RequestValidator
            ),
        )

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """Find the operation for ``method`` and ``path`` (without ``/api``)."""
        for operation in self._by_method.get(method.upper(), ()):
            if found := operation.regex.fullmatch(path):
                return operation, found.groupdict()
        return None

    def deref(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """Follow ``$ref`` (and single-entry ``allOf`` wrappers) to the real schema."""
        while True:
            if "$ref" in schema:
                schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
            elif (
                "allOf" in schema
                and len(schema["allOf"]) == 1
                and "properties" not in schema
            ):
                schema = schema["allOf"][0]
            else:
                return schema

    def response_schema(self, operation: Operation) -> Mapping[str, Any] | None:
        """Return the JSON schema of the operation's success response, if any."""
        content = self._operation(operation)["responses"][
            str(operation.success_status)
        ].get("content", {})
        media = content.get("application/json")
        return None if media is None else media["schema"]

    def multipart_json_arrays(self, operation: Operation) -> frozenset[str]:
        """Return the multipart fields declared as arrays of objects."""
        content = self._operation(operation).get("requestBody", {}).get("content", {})
        media = content.get("multipart/form-data")
        if media is None:
            return frozenset()
        properties = self.deref(media["schema"]).get("properties", {})
        return frozenset(
            name
            for name, prop in properties.items()
            if self.deref(prop).get("type") == "array"
            and self.deref(self.deref(prop).get("items", {})).get("type") == "object"
        )

    def prune(self, schema: Mapping[str, Any], value: Any) -> Any:
        """Drop every object key the schema does not declare (recursively).

        Handlers build one superset of the v2 and v3 shapes; pruning makes each response
        contain exactly the fields *this* spec documents, so a client cannot come to
        depend on a field the real server of that version does not send.
        """
        schema = self.deref(schema)
        if value is None:
            return None
        if isinstance(value, list):
            items = schema.get("items")
            return (
                value if items is None else [self.prune(items, item) for item in value]
            )
        if not isinstance(value, dict):
            return value
        properties: dict[str, Any] = {}
        for part in (schema, *schema.get("allOf", ())):
            properties.update(self.deref(part).get("properties", {}))
        if not properties:
            return value
        return {
            key: self.prune(properties[key], item)
            for key, item in value.items()
            if key in properties
        }

    def _operation(self, operation: Operation) -> Mapping[str, Any]:
        """Return the raw spec entry of ``operation``."""
        entry = self.raw["paths"][operation.template][operation.method.lower()]
        return cast("Mapping[str, Any]", entry)

    def _describe(
        self,
        error: BaseException,
        root: Mapping[str, Any] | None,
        *,
        lenient_strings: bool,
    ) -> list[str]:
        """Turn an openapi-core error into messages naming the field."""
        cause = error.__cause__
        schema_errors = getattr(cause, "schema_errors", None)
        name = getattr(error, "name", None) or getattr(cause, "name", None)
        location = getattr(error, "location", None)
        if schema_errors is None:
            where = f"{location} parameter '{name}': " if name and location else ""
            detail = f" ({cause})" if cause is not None else ""
            return [f"{where}{type(error).__name__}: {error}{detail}"]
        prefix = f"{location} parameter '{name}'" if name and location else "body"
        messages = []
        for schema_error in schema_errors:
            if lenient_strings and _castable(schema_error):
                continue
            if schema_error.instance is None and self._nullable_all_of(
                root, schema_error
            ):
                continue
            path = _json_path(schema_error.absolute_path)
            messages.append(f"{prefix}{path}: {schema_error.message}")
        return messages

    def _nullable_all_of(
        self, root: Mapping[str, Any] | None, schema_error: Any
    ) -> bool:
        """Whether a ``None`` error comes from an ``allOf`` whose owner is nullable."""
        node: Any = root
        for key in schema_error.absolute_schema_path:
            while isinstance(node, dict) and "$ref" in node:
                node = self.schemas[node["$ref"].rsplit("/", 1)[-1]]
            if key == "$ref":  # jsonschema names the step just followed
                continue
            if key == "allOf" and isinstance(node, dict) and node.get("nullable"):
                return True
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return False
        return False

    def check_schema(self, name: str, value: Any) -> list[str]:
        """Return one message per way ``value`` breaks the component schema ``name``."""
        validator = self._schema_validator(name)
        root = {"$ref": f"#/components/schemas/{name}"}
        return [
            f"{name}{_json_path(error.absolute_path)}: {error.message}"
            for error in validator.iter_errors(value)
            if error.instance is not None or not self._nullable_all_of(root, error)
        ]

    @functools.cached_property
    def _registry(self) -> Registry[Any]:
        """Return a registry that resolves the spec's ``$ref`` s (for check_schema)."""
        resource = Resource.from_contents(self.raw, default_specification=DRAFT4)
        return Registry().with_resource(_SPEC_URI, resource)

    def _schema_validator(self, name: str) -> OAS30Validator:
        """Return a validator of one component schema, formats checked."""
        return OAS30Validator(
            {"$ref": f"{_SPEC_URI}#/components/schemas/{name}"},
            registry=self._registry,
            format_checker=OAS30Validator.FORMAT_CHECKER,
        )

    def check_request(self, operation: Operation, request: SpecRequest) -> list[str]:
        """Return one message per spec violation of ``request``."""
        multipart = request.content_type.startswith("multipart/")
        content = self._operation(operation).get("requestBody", {}).get("content", {})
        media = content.get(request.content_type.split(";")[0].strip()) or {}
        problems: list[str] = []
        for error in self.openapi.request_validator.iter_errors(request):
            problems.extend(
                f"{operation.operation_id} request {text}"
                for text in self._describe(
                    error, media.get("schema"), lenient_strings=multipart
                )
            )
        return problems

    def check_response(
        self,
        operation: Operation,
        request: SpecRequest,
        response: SpecResponse,
    ) -> list[str]:
        """Return one message per spec violation of ``response``."""
        problems: list[str] = []
        if operation.binary_response and response.status_code in {200, 206}:
            problems = self._binary_type_problems(operation, response)
            response = SpecResponse(
                status_code=operation.success_status,
                content_type=operation.response_media or "application/octet-stream",
                data=(response.data or b"")[:BINARY_SAMPLE],
                headers=response.headers,
            )
        responses = self._operation(operation)["responses"]
        documented = responses.get(str(response.status_code), {}).get("content", {})
        root = documented.get("application/json", {}).get("schema")
        return problems + [
            f"{operation.operation_id} response {response.status_code} {text}"
            for error in self.openapi.response_validator.iter_errors(request, response)
            for text in self._describe(error, root, lenient_strings=False)
        ]

    def _binary_type_problems(
        self, operation: Operation, response: SpecResponse
    ) -> list[str]:
        """Check the content type a binary response really has (module docstring)."""
        sent = response.content_type.split(";")[0].strip().lower()
        responses = self._operation(operation)["responses"]
        documented = set(responses[str(operation.success_status)].get("content", {}))
        if sent in documented:
            return []
        kind, _, subtype = sent.partition("/")
        if (
            "application/octet-stream" in documented
            and kind in FILE_TYPES
            and re.fullmatch(r"[\w.+-]+", subtype)
        ):
            return []
        message = (
            f"{operation.operation_id} response {response.status_code} content type "
            f"{response.content_type!r} is not documented ({sorted(documented)}) "
            f"nor an {' or '.join(FILE_TYPES)} file type"
        )
        return [message]


def _make_operation(method: str, template: str, op: Mapping[str, Any]) -> Operation:
    """Build an :class:`Operation` from one spec entry."""
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    success = min(int(code) for code in op["responses"] if code.startswith("2"))
    content = op["responses"][str(success)].get("content", {})
    body_content = op.get("requestBody", {}).get("content", {})
    return Operation(
        operation_id=op["operationId"],
        method=method,
        template=template,
        regex=re.compile(pattern),
        permission=op.get("x-immich-permission"),
        admin_only=bool(op.get("x-immich-admin-only")),
        public=not op.get("security"),
        success_status=success,
        response_media=next(iter(content), None),
        request_media=next(iter(body_content), None),
    )


def _json_path(parts: Iterable[str | int]) -> str:
    """Return ``.field[0].other`` for a validation error's path."""
    return "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts
    )


def _castable(schema_error: Any) -> bool:
    """Whether a multipart string would cast cleanly to the declared scalar type."""
    if schema_error.validator != "type" or not isinstance(schema_error.instance, str):
        return False
    cast_to = _CASTS.get(cast("str", schema_error.validator_value))
    if cast_to is None:
        return False
    try:
        cast_to(schema_error.instance)
    except (KeyError, ValueError):
        return False
    return True


@functools.cache
def _load(resolved: str) -> ImmichSpec:
    """Load one spec file (cached per process: building the validators is slow)."""
    return ImmichSpec(Path(resolved))


def load_spec(spec: SpecName | Path) -> ImmichSpec:
    """Return the shared :class:`ImmichSpec` for ``"v3"``, ``"v2"`` or a path."""
    return _load(str(spec_path(spec).resolve()))


def iter_specs_missing(names: tuple[SpecName, ...] = ("v3", "v2")) -> Iterator[Path]:
    """Yield the spec files among ``names`` that do not exist."""
    for name in names:
        if not (path := spec_path(name)).is_file():
            yield path
