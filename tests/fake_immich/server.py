"""The fake Immich server: routing, auth, faults, spec validation and streaming.

Every request is matched against the spec's paths (a path or method the spec does not
have is a 404 *and* a violation), recorded, validated with openapi-core, authenticated
like Immich, and only then given an injected fault (if any) or handed to the handler in
:mod:`.views`. Every JSON response is pruned to the fields of the active spec and
validated; binary responses are validated on status, the content type really sent and
a body sample.

Uploads (``multipart/form-data``) are read part by part. The validator sees a re-encoded
copy of the form; when the files total more than :data:`FULL_VALIDATION_LIMIT` bytes the
file contents are replaced by a short stand-in in that copy, so only the non-file fields
(and the presence of the file parts) are validated and a gigantic upload is never held
in memory twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
import logging
from pathlib import Path
import random
import re
import secrets
import threading
from typing import TYPE_CHECKING, Any, Self

from aiohttp import BodyPartReader, web

from .socketio import PATH as SOCKET_PATH, FakeSocketIO
from .spec import API_PREFIX, SpecName, SpecRequest, SpecResponse, load_spec
from .state import ImmichState
from .views import HANDLERS, Call, FileReply, ImmichHTTPError, Reply, UploadForm

if TYPE_CHECKING:
    from collections.abc import Callable

    from .spec import ImmichSpec, Operation
    from .state import ApiKey, User

_LOGGER = logging.getLogger(__name__)

FULL_VALIDATION_LIMIT = 8 * 1024 * 1024
"""Uploads up to this many file bytes are validated in full (see module docstring)."""
CHUNK_SIZE = 64 * 1024
"""Downloads are streamed in chunks of this size."""
MAX_JSON_BODY = 64 * 1024 * 1024
REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    416: "Range Not Satisfiable",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(slots=True)
class RecordedRequest:
    """One request the server received (``status`` 0: the connection was dropped)."""

    method: str
    path: str
    operation_id: str | None
    status: int = 0
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass(slots=True)
class Fault:
    """A misbehaviour injected for one operation."""

    status: int | None = None
    delay: float | None = None
    body: bytes | None = None
    drop: bool = False
    times: int | None = None
    mutate: Callable[[Any], bytes] | None = None
    lose_answer: bool = False
    answer_delay: float | None = None


def _json_items(data: bytes) -> list[bytes]:
    """Split a JSON array into one encoded item each (anything else: unchanged)."""
    try:
        value = json.loads(data)
    except ValueError:
        return [data]
    if not isinstance(value, list):
        return [data]
    return [json.dumps(item).encode() for item in value]


def error_body(status: int, message: str | list[str]) -> dict[str, Any]:
    """Return Immich's error body."""
    return {
        "message": message,
        "error": REASONS.get(status, "Error"),
        "statusCode": status,
        "correlationId": secrets.token_hex(4),
    }


class FakeImmich:
    """An in-memory Immich server that checks all traffic against the OpenAPI spec."""

    def __init__(self, spec: SpecName | Path = "v3", *, seed: bool = False) -> None:
        """Load the spec (cached per process) and create the admin and "Alice" users."""
        self.spec: ImmichSpec = load_spec(spec)
        self.state = ImmichState(self.spec.queue_names)
        self.admin_id = self.state.add_user("Admin", "admin@example.com", is_admin=True)
        self.admin_key = self.state.add_api_key(self.admin_id, name="admin key")
        self.user_id = self.state.add_user("Alice", "alice@example.com")
        self.state.users[self.user_id].avatar_color = "pink"
        self.user_key = self.state.add_api_key(self.user_id, name="alice key")
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.url = ""
        self._faults: dict[str, Fault] = {}
        self._rng = random.Random(2283)
        self._runner: web.AppRunner | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        self._sleepers: set[threading.Event] = set()
        self._arrived: asyncio.Event | None = None
        self.app = web.Application(client_max_size=MAX_JSON_BODY)
        # Push events: not in the spec, so outside its validation (see socketio.py).
        self.socketio = FakeSocketIO(self.state, self.spec.version)
        self.app.router.add_get(SOCKET_PATH, self.socketio.handle)
        self.app.router.add_route("*", "/{tail:.*}", self._dispatch)
        if seed:
            self.state.seed(self.admin_id, self.user_id)

    # --- lifecycle --------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0: a free port); return the URL without ``/api``."""
        runner = web.AppRunner(
            self.app,
            access_log=None,
            shutdown_timeout=0.5,
            handler_cancellation=True,
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()  # so that start() can be tried on another port
            raise
        self._runner = runner
        bound_port = runner.addresses[0][1]
        self.url = f"http://{host}:{bound_port}"
        return self.url

    async def stop(self) -> None:
        """Stop serving; requests still running (e.g. delayed) are cancelled."""
        for wake in list(self._sleepers):
            wake.set()
        for task in list(self._inflight):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """Start on a free port."""
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Stop."""
        await self.stop()

    async def _sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds of loop time or of real time, whichever ends first.

        Under Home Assistant's ``freezer`` fixture the loop clock stands still, so a
        plain ``asyncio.sleep`` would only end when a test fires timers. The real-time
        wait (a worker thread blocked on an Event, released at once on cancel or
        ``stop()``) makes sure a delayed request still ends instead of hanging the test.
        """
        wake = threading.Event()
        self._sleepers.add(wake)
        real: asyncio.Future[Any] = asyncio.get_running_loop().run_in_executor(
            None, wake.wait, delay
        )
        timer: asyncio.Future[Any] = asyncio.ensure_future(asyncio.sleep(delay))
        try:
            await asyncio.wait({real, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            wake.set()
            timer.cancel()
            self._sleepers.discard(wake)

    async def wait_for_request(
        self, operation_id: str, *, count: int = 1
    ) -> RecordedRequest:
        """Wait until ``count`` requests for ``operation_id`` arrived; return the last.

        Uses no timers, so it works under a frozen clock: e.g. start a refresh, wait for
        its request to reach a delayed operation, then fire Home Assistant's timers.
        """
        while True:
            matching = [r for r in self.requests if r.operation_id == operation_id]
            if len(matching) >= count:
                return matching[count - 1]
            if self._arrived is None:
                self._arrived = asyncio.Event()
            await self._arrived.wait()

    # --- faults -----------------------------------------------------------------------

    def set_fault(
        self,
        operation_id: str,
        *,
        status: int | None = None,
        delay: float | None = None,
        body: bytes | None = None,
        drop: bool = False,
        times: int | None = None,
        mutate: Callable[[Any], bytes] | None = None,
        lose_answer: bool = False,
        answer_delay: float | None = None,
    ) -> None:
        """Make ``operation_id`` misbehave (for ``times`` requests, or until cleared).

        ``delay`` waits before answering (the request is then handled normally unless
        another fault is set); ``status`` answers that status with Immich's error body
        (or ``body``); ``body`` answers these raw bytes as JSON with ``status`` or the
        success status; ``drop`` closes the connection half-way through the response
        (for uploads: after reading the request, before storing anything);
        ``lose_answer`` handles the request (an upload is stored) and then closes the
        connection half-way through the answer; ``answer_delay`` handles the request
        (an upload is stored) and waits that long before answering; ``mutate`` lets the
        request be checked and handled normally, then sends ``mutate(data)`` (raw bytes
        built from the pruned JSON reply, ``None`` for an empty one) instead of the
        reply. A mutated response is deliberately off-spec, so it is not validated.
        Every fault applies only after the request was checked against the spec and
        authenticated.
        """
        if operation_id not in self.spec.operations:
            msg = f"{operation_id!r} is not an operationId of {self.spec.path.name}"
            raise ValueError(msg)
        self._faults[operation_id] = Fault(
            status,
            delay,
            body,
            drop,
            times,
            mutate,
            lose_answer,
            answer_delay,
        )

    def expect_violations(self, *patterns: str) -> list[str]:
        """Claim the violations recorded so far: exactly those ``patterns`` describe.

        Each pattern (a regular expression, searched) must match at least one recorded
        violation, and each recorded violation must match a pattern; otherwise an
        ``AssertionError`` lists what differs. The claimed violations are returned and
        removed, so that the teardown check only sees later ones. With no pattern it
        asserts that nothing was recorded.
        """
        found = list(self.violations)
        unexpected = [v for v in found if not any(re.search(p, v) for p in patterns)]
        missing = [p for p in patterns if not any(re.search(p, v) for v in found)]
        if unexpected or missing:
            msg = f"unexpected violations: {unexpected}; expected, not seen: {missing}"
            raise AssertionError(msg)
        self.violations.clear()
        return found

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    def _take_fault(self, operation_id: str) -> Fault | None:
        """Return the fault for this request and count it down."""
        fault = self._faults.get(operation_id)
        if fault is None:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                del self._faults[operation_id]
        return fault

    # --- request handling -------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        """Handle one request end to end."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        record = RecordedRequest(
            request.method, request.path, None, query=dict(request.query)
        )
        self.requests.append(record)
        try:
            response = await self._handle(request, record)
        finally:
            if task is not None:
                self._inflight.discard(task)
        transport = request.transport
        record.status = (
            0 if transport is None or transport.is_closing() else response.status
        )
        return response

    def _error(self, status: int, message: str | list[str]) -> web.Response:
        """Return an Immich error response."""
        return web.json_response(error_body(status, message), status=status)

    async def _handle(
        self, request: web.Request, record: RecordedRequest
    ) -> web.StreamResponse:
        """Match, read, validate, authenticate, then fault, run and answer."""
        path = request.path
        found = None
        if path.startswith(API_PREFIX + "/"):
            found = self.spec.match(request.method, path[len(API_PREFIX) :])
        if found is None:
            self.violations.append(
                f"{request.method} {path}: no such operation in the spec"
            )
            return self._error(404, f"Cannot {request.method} {path}")
        operation, path_params = found
        record.operation_id = operation.operation_id
        if self._arrived is not None:
            self._arrived.set()
            self._arrived = None

        # Faults come last: a request sent during a fault is read, checked against the
        # spec and authenticated like any other.
        spec_request, form, problems = await self._read_request(
            request, operation, path_params
        )
        self.violations.extend(problems)
        user, key, denial = self._authenticate(request, operation)
        if denial is not None:
            return denial
        if problems:
            return self._error(400, problems)
        fault = self._take_fault(operation.operation_id)
        if fault is not None:
            faulty = await self._apply_fault(request, operation, fault)
            if faulty is not None:
                return faulty

        body: Any = None
        if (
            form is None
            and spec_request.body
            and "json" in (operation.request_media or "")
        ):
            body = json.loads(spec_request.body)  # openapi-core has parsed it already
        record.body = body if form is None else dict(form.fields)
        call = Call(
            request=request,
            operation=operation,
            spec=self.spec,
            state=self.state,
            path=path_params,
            query=request.query,
            user=user,
            key=key,
            body=body,
            form=form,
            rng=self._rng,
        )
        reply = self._run(call)
        if fault is not None and fault.answer_delay:
            await self._sleep(fault.answer_delay)
        if isinstance(reply, web.StreamResponse):
            return reply
        drop = fault is not None and (fault.drop or fault.lose_answer)
        mutate = fault.mutate if fault is not None else None
        return await self._answer(
            request, operation, spec_request, reply, drop=drop, mutate=mutate
        )

    async def _apply_fault(
        self, request: web.Request, operation: Operation, fault: Fault
    ) -> web.StreamResponse | None:
        """Delay, drop an upload, or answer the injected status/body (None: go on)."""
        if fault.delay:
            await self._sleep(fault.delay)
        if fault.drop and operation.request_media == "multipart/form-data":
            # The upload was read but is not stored: the connection closes unanswered.
            return self._close(request, web.Response(status=500))
        if fault.body is not None:
            status = fault.status or operation.success_status
            return web.Response(
                body=fault.body, status=status, content_type="application/json"
            )
        if fault.status is not None:
            return self._error(fault.status, f"Injected fault {fault.status}")
        return None

    async def _read_request(
        self, request: web.Request, operation: Operation, path_params: dict[str, str]
    ) -> tuple[SpecRequest, UploadForm | None, list[str]]:
        """Read the body (multipart part by part) and check the request."""
        form: UploadForm | None = None
        body_bytes: bytes | None = None
        problems: list[str] = []
        content_type = request.headers.get("Content-Type", "")
        is_form = content_type.startswith("multipart/")
        if operation.request_media == "multipart/form-data" and is_form:
            try:
                form, body_bytes, content_type = await self._read_form(
                    request, operation
                )
            except ValueError as exc:
                problems.append(
                    f"{operation.operation_id} request body: bad multipart ({exc})"
                )
        elif request.can_read_body:
            body_bytes = await request.read()
        spec_request = SpecRequest.build(
            method=request.method,
            path=request.path[len(API_PREFIX) :],
            template=operation.template,
            path_params=path_params,
            query=list(request.query.items()),
            headers=list(request.headers.items()),
            content_type=content_type,
            body=body_bytes,
        )
        problems += self.spec.check_request(operation, spec_request)
        return spec_request, form, problems

    def _run(self, call: Call) -> Reply | FileReply | web.Response:
        """Call the operation's handler; errors become Immich error responses."""
        operation_id = call.operation.operation_id
        handler = HANDLERS.get(operation_id)
        if handler is None:
            message = f"{operation_id} is not implemented by fake_immich"
            self.violations.append(message)
            return self._error(501, message)
        try:
            return handler(call)
        except ImmichHTTPError as exc:
            return self._error(exc.status, exc.message)
        except Exception as exc:  # a bug in the fake must fail the test that hit it
            _LOGGER.exception("fake Immich handler %s crashed", operation_id)
            self.violations.append(f"{operation_id}: fake handler crashed: {exc!r}")
            return self._error(500, "Internal server error")

    def _authenticate(
        self, request: web.Request, operation: Operation
    ) -> tuple[User | None, ApiKey | None, web.Response | None]:
        """Check the key like Immich: 401, then admin-only, then the permission.

        A login session (``Authorization: Bearer <token>``) holds every permission.
        """
        if operation.public:
            return None, None, None
        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            key = self.state.sessions.get(bearer.removeprefix("Bearer "))
            unknown = "Invalid user token"
        else:
            secret = request.headers.get("x-api-key") or request.query.get("apiKey")
            if not secret:
                return None, None, self._error(401, "Authentication required")
            key = self.state.api_keys.get(secret)
            unknown = "Invalid API key"
        user = self.state.users.get(key.user_id) if key else None
        if key is None or user is None:
            return None, None, self._error(401, unknown)
        if operation.admin_only and not user.is_admin:
            return None, None, self._error(403, "Forbidden")
        session = key.secret in self.state.sessions
        if (
            operation.permission
            and not session
            and not key.grants(operation.permission)
        ):
            message = f"Missing required permission: {operation.permission}"
            return None, None, self._error(403, message)
        return user, key, None

    async def _read_form(
        self, request: web.Request, operation: Operation
    ) -> tuple[UploadForm, bytes, str]:
        """Read a multipart body part by part; return the form and a copy to check.

        A field declared as an array of objects (``metadata``) may come as one JSON
        array, as Immich parses it; the copy then has one part per item.
        """
        form = UploadForm()
        json_arrays = self.spec.multipart_json_arrays(operation)
        parts: list[tuple[str, str | None, str | None, bytes]] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                msg = "nested or unnamed part"
                raise ValueError(msg)
            if part.filename is not None:
                chunks = []
                while chunk := await part.read_chunk(CHUNK_SIZE):
                    chunks.append(chunk)
                data = b"".join(chunks)
                del chunks
                form.files[part.name] = (part.filename, data)
            else:
                data = await part.read()
                form.fields[part.name] = data.decode(errors="replace")
            part_type = part.headers.get("Content-Type")
            if part.name in json_arrays and part.filename is None:
                items = _json_items(data)
                parts.extend((part.name, None, part_type, item) for item in items)
            else:
                parts.append((part.name, part.filename, part_type, data))
        file_bytes = sum(len(data) for _, file, _, data in parts if file is not None)
        elide = file_bytes > FULL_VALIDATION_LIMIT
        boundary = f"fake-immich-{secrets.token_hex(8)}"
        out = bytearray()
        for name, filename, part_type, data in parts:
            disposition = f'form-data; name="{name}"'
            if filename is not None:
                disposition += f'; filename="{filename}"'
            out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
            if part_type:
                out += f"Content-Type: {part_type}\r\n".encode()
            payload = (
                f"<{len(data)} bytes>".encode()
                if elide and filename is not None
                else data
            )
            out += b"\r\n" + payload + b"\r\n"
        out += f"--{boundary}--\r\n".encode()
        return form, bytes(out), f"multipart/form-data; boundary={boundary}"

    @staticmethod
    def _close(
        request: web.Request, response: web.StreamResponse
    ) -> web.StreamResponse:
        """Close the connection; aiohttp then fails quietly to finish ``response``."""
        transport = request.transport
        if transport is not None:
            transport.close()
        return response

    # --- responses --------------------------------------------------------------------

    async def _answer(
        self,
        request: web.Request,
        operation: Operation,
        spec_request: SpecRequest,
        reply: Reply | FileReply,
        *,
        drop: bool,
        mutate: Callable[[Any], bytes] | None = None,
    ) -> web.StreamResponse:
        """Send a handler's reply (file or JSON, or a mutated JSON body)."""
        if mutate is not None and isinstance(reply, Reply):
            return self._mutated(operation, reply, mutate)
        if isinstance(reply, FileReply):
            return await self._send_file(
                request, operation, spec_request, reply, drop=drop
            )
        return await self._send_json(request, operation, spec_request, reply, drop=drop)

    def _mutated(
        self, operation: Operation, reply: Reply, mutate: Callable[[Any], bytes]
    ) -> web.Response:
        """Send ``mutate`` of a pruned JSON reply, unvalidated (see ``set_fault``)."""
        data = reply.data
        schema = self.spec.response_schema(operation)
        if data is not None and schema is not None:
            data = self.spec.prune(schema, data)
        return web.Response(
            body=mutate(data),
            status=reply.status or operation.success_status,
            content_type="application/json",
        )

    async def _send_json(
        self,
        request: web.Request,
        operation: Operation,
        spec_request: SpecRequest,
        reply: Reply,
        *,
        drop: bool,
    ) -> web.StreamResponse:
        """Prune, validate and send a JSON reply."""
        status = reply.status or operation.success_status
        data = reply.data
        schema = self.spec.response_schema(operation)
        if data is not None and schema is not None:
            data = self.spec.prune(schema, data)
        payload = b"" if data is None else json.dumps(data).encode()
        content_type = "application/json" if data is not None else ""
        self.violations.extend(
            self.spec.check_response(
                operation, spec_request, SpecResponse(status, content_type, payload)
            )
        )
        if not drop:
            if data is None:
                return web.Response(status=status)
            return web.Response(
                body=payload, status=status, content_type="application/json"
            )
        response = web.StreamResponse(status=status)
        response.content_type = "application/json"
        response.content_length = len(payload)
        await response.prepare(request)
        await response.write(payload[: len(payload) // 2])
        return self._close(request, response)

    async def _send_file(
        self,
        request: web.Request,
        operation: Operation,
        spec_request: SpecRequest,
        reply: FileReply,
        *,
        drop: bool,
    ) -> web.StreamResponse:
        """Validate and stream a binary reply, honouring a single ``Range``."""
        total = len(reply.data)
        start, end, status = 0, total, 200
        headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=86400"}
        if reply.filename:
            headers["Content-Disposition"] = f'attachment; filename="{reply.filename}"'
        if (range_header := request.headers.get("Range")) and (
            found := _RANGE.fullmatch(range_header.strip())
        ):
            first, last = found.groups()
            if first:
                start = int(first)
                end = min(total, int(last) + 1) if last else total
            elif last:
                start = max(0, total - int(last))
            if (first or last) and (start >= total or start >= end):
                return web.Response(
                    status=416, headers={"Content-Range": f"bytes */{total}"}
                )
            if first or last:
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end - 1}/{total}"
        self.violations.extend(
            self.spec.check_response(
                operation,
                spec_request,
                SpecResponse(
                    status, reply.content_type, reply.data[start : start + 64]
                ),
            )
        )
        response = web.StreamResponse(status=status, headers=headers)
        response.content_type = reply.content_type
        response.content_length = end - start
        await response.prepare(request)
        view = memoryview(reply.data)[start:end]
        cut = len(view) // 2 if drop else len(view)
        for offset in range(0, cut, CHUNK_SIZE):
            await response.write(view[offset : min(offset + CHUNK_SIZE, cut)])
        if drop:
            return self._close(request, response)
        await response.write_eof()
        return response
