"""Suite-wide guards (a pytest plugin loaded from tests/conftest.py).

* ``no_blocking_calls`` (session): Home Assistant's blocking-call detection
  (``homeassistant.block_async_io``) is switched on for the whole run, with the calls
  HA skips under tests (``open``, ``Path.open``/``read_bytes``…, ``os.scandir``,
  ``os.listdir``, SSL loads) included. A call made inside the running event loop from
  Immich Bridge's code is recorded and fails the test that made it; calls from test
  code, the fake server or HA itself are left alone (the test process runs all of
  them on the loop's thread).
* ``no_leaked_secrets`` (per test): every API key the fake server hands out (and the
  key of any Immich Bridge entry) must never appear in a log record (our logger is
  turned to DEBUG for this), an action's response or exception text (the whole
  ``__cause__`` chain), or any entity state or attribute at the end of the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Iterator
import logging
import sys
from typing import Any

from homeassistant import block_async_io
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, ServiceRegistry
from homeassistant.util import loop as loop_util
import pytest

from custom_components.immich_bridge.const import DOMAIN
from tests.fake_immich.state import ImmichState

_OURS = f"custom_components/{DOMAIN}/"
_MIN_SECRET_LENGTH = 16  # typed test keys such as "revoked" are not secrets

# Blocking calls made by the integration inside the event loop, for the running test.
BLOCKING_CALLS: list[str] = []


def _our_frame() -> str | None:
    """Return "file:line" of the innermost Immich Bridge frame on the stack, if any."""
    frame = sys._getframe(2)  # skip this helper and the guard
    while frame is not None:
        filename = frame.f_code.co_filename
        if _OURS in filename:
            return f"{filename.split(_OURS, 1)[1]}:{frame.f_lineno}"
        frame = frame.f_back
    return None


@pytest.fixture(scope="session", autouse=True)
def no_blocking_calls() -> Generator[None]:
    """Switch HA's blocking-call detection on for the session (see module docstring)."""
    original = loop_util.raise_for_blocking_call

    def guard(
        func: Callable[..., Any],
        check_allowed: Callable[[dict[str, Any]], bool] | None = None,
        strict: bool = True,  # HA's signature
        strict_core: bool = True,
        **mapped_args: Any,
    ) -> None:
        if asyncio._get_running_loop() is None:  # not on the loop
            return
        if check_allowed is not None and check_allowed(mapped_args):
            return
        where = _our_frame()
        if where is None:
            return
        BLOCKING_CALLS.append(f"{func.__qualname__} at {where}")
        original(
            func,
            check_allowed=check_allowed,
            strict=strict,
            strict_core=strict_core,
            **mapped_args,
        )

    loop_util.raise_for_blocking_call = guard
    in_tests = block_async_io._IN_TESTS
    block_async_io._IN_TESTS = False  # include the calls HA skips in tests
    try:
        block_async_io.enable()
    finally:
        block_async_io._IN_TESTS = in_tests
    yield
    calls = block_async_io._BLOCKED_CALLS.calls
    for call in calls:
        setattr(call.object, call.function, call.original_func)
    calls.clear()
    loop_util.raise_for_blocking_call = original


class _SecretWatch(logging.Handler):
    """Record every log record that contains one of the secrets."""

    def __init__(self, secrets: set[str]) -> None:
        """Watch for these secrets (the set may grow while the test runs)."""
        super().__init__(logging.NOTSET)
        self.secrets = secrets
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Check one record's message and traceback."""
        if not self.secrets:
            return
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = f"{record.msg} {record.args}"
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        if record.stack_info:
            text += record.stack_info
        if any(secret in text for secret in self.secrets):
            self.leaks.append(f"log {record.name} {record.levelname}: {record.msg}")


def exception_texts(err: BaseException) -> Iterator[str]:
    """Yield the text of an exception and of every exception in its chain."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield f"{type(current).__name__}: {current} {current.args!r}"
        current = current.__cause__ or current.__context__


@pytest.fixture(autouse=True)
def no_leaked_secrets(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Generator[set[str]]:
    """Fail a test whose logs, action results or entity states show an API key.

    Entries and entity states are checked in tests that run Home Assistant; a test
    without the ``hass`` fixture (the client's, the fake's) doesn't get one for this.
    """
    hass: HomeAssistant | None = (
        request.getfixturevalue("hass") if "hass" in request.fixturenames else None
    )
    BLOCKING_CALLS.clear()
    secrets: set[str] = set()
    leaks: list[str] = []
    add_api_key = ImmichState.add_api_key

    def recording_add_api_key(self: ImmichState, *args: Any, **kwargs: Any) -> str:
        secret = add_api_key(self, *args, **kwargs)
        secrets.add(secret)
        return secret

    monkeypatch.setattr(ImmichState, "add_api_key", recording_add_api_key)

    def check(what: str, text: str) -> None:
        leaks.extend(
            f"{what}: {text[:200].replace(secret, '<KEY>')}"
            for secret in secrets
            if secret in text
        )

    async_call = ServiceRegistry.async_call

    async def checked_async_call(
        self: ServiceRegistry, domain: str, service: str, *args: Any, **kwargs: Any
    ) -> Any:
        try:
            response = await async_call(self, domain, service, *args, **kwargs)
        except Exception as err:
            for text in exception_texts(err):
                check(f"{domain}.{service} raised", text)
            raise
        check(f"{domain}.{service} response", repr(response))
        return response

    monkeypatch.setattr(ServiceRegistry, "async_call", checked_async_call)

    watch = _SecretWatch(secrets)
    root = logging.getLogger()
    ours = logging.getLogger(f"custom_components.{DOMAIN}")
    level = ours.level
    ours.setLevel(logging.DEBUG)
    root.addHandler(watch)
    try:
        yield secrets
    finally:
        root.removeHandler(watch)
        ours.setLevel(level)
    if hass is not None:
        for entry in hass.config_entries.async_entries(DOMAIN):
            key = entry.data.get(CONF_API_KEY)
            if isinstance(key, str) and len(key) >= _MIN_SECRET_LENGTH:
                secrets.add(key)
        for state in hass.states.async_all():
            check(f"state of {state.entity_id}", f"{state.state} {state.attributes!r}")
    leaks[:0] = watch.leaks
    assert not leaks, "API key leaked:\n  " + "\n  ".join(leaks)
    assert not BLOCKING_CALLS, "blocking calls in the event loop:\n  " + "\n  ".join(
        BLOCKING_CALLS
    )
