"""Suite-wide guards (a pytest plugin loaded from tests/conftest.py).

* ``no_blocking_calls`` (session): Home Assistant's blocking-call detection
  (``homeassistant.block_async_io``) is switched on for the whole run, with the calls
  HA skips under tests (``open``, ``Path.open``/``read_bytes``…, ``os.scandir``,
  ``os.listdir``, SSL loads) included. A call made inside the running event loop from
  Immich Bridge's code is recorded and fails the test that made it; calls from test
  code, the fake server or HA itself are left alone (the test process runs all of
  them on the loop's thread).
* ``no_leaked_secrets`` (per test): no secret may appear in a log record (our logger is
  turned to DEBUG for this, and a test may not turn it back up), an action's response
  or exception text (the whole ``__cause__`` chain), a diagnostics dump, a state
  written during the test or any state at its end. Secrets are every API key and
  session token the stand-in hands out, the key of any Immich Bridge entry, and what
  the real-server tier and the end-to-end test register with ``register_secret`` (the
  keys and tokens they create on the real server or read from the demo's banner; the
  end-to-end test also has the guard read Home Assistant's log file).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Iterator
import logging
from pathlib import Path
import sys
from typing import Any

from homeassistant import block_async_io
from homeassistant.const import CONF_API_KEY, EVENT_STATE_CHANGED
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    ServiceRegistry,
    callback,
)
from homeassistant.util import loop as loop_util
import pytest

from custom_components.immich_bridge import diagnostics
from custom_components.immich_bridge.const import DOMAIN
from tests.fake_immich.state import ImmichState

_OURS = f"custom_components/{DOMAIN}/"
_MIN_SECRET_LENGTH = 16  # typed test keys such as "revoked" are not secrets
_LOGGER_NAME = f"custom_components.{DOMAIN}"

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


class SecretsGuard(logging.Handler):
    """The secrets of one test and every place they showed up (see module docstring).

    A logging handler: it sits on the root logger and on Immich Bridge's own (so that
    records kept out of pytest's capture with ``propagate = False`` still pass here).
    """

    def __init__(self) -> None:
        """Start with no secret and no leak."""
        super().__init__(logging.NOTSET)
        self.secrets: set[str] = set()
        self.leaks: list[str] = []
        self._last: logging.LogRecord | None = None

    def add(self, secret: str) -> None:
        """Watch for one more secret (short typed test values are not secrets)."""
        if len(secret) >= _MIN_SECRET_LENGTH:
            self.secrets.add(secret)

    def check(self, what: str, text: str) -> None:
        """Record a leak for every secret that appears in ``text``."""
        self.leaks.extend(
            f"{what}: {_around(text, secret)}"
            for secret in self.secrets
            if secret in text
        )

    def check_file(self, path: Path) -> None:
        """Check a log file another process wrote (the end-to-end Home Assistant's)."""
        self.check(f"file {path.name}", path.read_text(errors="replace"))

    def emit(self, record: logging.LogRecord) -> None:
        """Check one record's message, arguments and traceback (once per record)."""
        if record is self._last or not self.secrets:
            return
        self._last = record
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = f"{record.msg} {record.args}"
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        if record.stack_info:
            text += record.stack_info
        self.check(f"log {record.name} {record.levelname}", text)


def _around(text: str, secret: str) -> str:
    """Return the text around a secret, with the secret masked."""
    at = text.index(secret)
    return text[max(0, at - 100) : at + 100].replace(secret, "<KEY>")


_GUARD: SecretsGuard | None = None


def register_secret(secret: str) -> str:
    """Tell the running test's guard about a secret made outside the stand-in.

    The real-server tier and the end-to-end test call this for the keys and session
    tokens they create; outside a test it does nothing. Returns the secret.
    """
    if _GUARD is not None:
        _GUARD.add(secret)
    return secret


def keep_out_of_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep Immich Bridge's records out of pytest's capture (thousands would pile up).

    The records are still made at DEBUG level and checked by the secrets guard,
    which listens on the integration's logger itself; undone after the test.
    """
    monkeypatch.setattr(logging.getLogger(_LOGGER_NAME), "propagate", False)


def level_problem() -> str | None:
    """Say why Immich Bridge's records would go unchecked (its level raised), if so."""
    level = logging.getLogger(_LOGGER_NAME).getEffectiveLevel()
    if level == logging.DEBUG and not logging.root.manager.disable:
        return None
    return (
        f"the test raised {_LOGGER_NAME}'s level to {logging.getLevelName(level)} "
        "(or disabled logging): its records would go unchecked; keep them out of "
        "pytest's capture with keep_out_of_capture instead"
    )


def exception_texts(err: BaseException) -> Iterator[str]:
    """Yield the text of an exception and of every exception in its chain."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield f"{type(current).__name__}: {current} {current.args!r}"
        current = current.__cause__ or current.__context__


def _record_secrets(
    monkeypatch: pytest.MonkeyPatch, guard: SecretsGuard, owner: type, name: str
) -> None:
    """Make ``owner.name`` (a method returning a new secret) register what it makes."""
    make = getattr(owner, name)

    def recording(self: Any, *args: Any, **kwargs: Any) -> str:
        secret: str = make(self, *args, **kwargs)
        guard.add(secret)
        return secret

    monkeypatch.setattr(owner, name, recording)


def _check_services(monkeypatch: pytest.MonkeyPatch, guard: SecretsGuard) -> None:
    """Check every action's response and error text (the whole cause chain)."""
    async_call = ServiceRegistry.async_call

    async def checked_async_call(
        self: ServiceRegistry, domain: str, service: str, *args: Any, **kwargs: Any
    ) -> Any:
        try:
            response = await async_call(self, domain, service, *args, **kwargs)
        except Exception as err:
            for text in exception_texts(err):
                guard.check(f"{domain}.{service} raised", text)
            raise
        guard.check(f"{domain}.{service} response", repr(response))
        return response

    monkeypatch.setattr(ServiceRegistry, "async_call", checked_async_call)


def _check_diagnostics(monkeypatch: pytest.MonkeyPatch, guard: SecretsGuard) -> None:
    """Check every diagnostics dump the integration makes."""
    make = diagnostics.async_get_config_entry_diagnostics

    async def checked(hass: HomeAssistant, entry: Any) -> dict[str, Any]:
        dump = await make(hass, entry)
        guard.check("diagnostics", repr(dump))
        return dump

    monkeypatch.setattr(diagnostics, "async_get_config_entry_diagnostics", checked)


def _entry_keys(hass: HomeAssistant, guard: SecretsGuard) -> None:
    """Add the key of every Immich Bridge entry to the secrets."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        key = entry.data.get(CONF_API_KEY)
        if isinstance(key, str):
            guard.add(key)


@pytest.fixture(autouse=True)
def no_leaked_secrets(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Generator[SecretsGuard]:
    """Fail a test that shows an API key or session token anywhere it can be seen.

    Watched: every log record (Immich Bridge's at DEBUG level), every action's
    response and error, every diagnostics dump and, in tests that run Home Assistant,
    every state written while the test runs and the states at its end. Secrets: the
    keys and tokens the stand-in hands out, the keys of our config entries, and what
    the real-server tier and the end-to-end test register (``register_secret``).
    """
    global _GUARD  # noqa: PLW0603  # one guard per running test
    hass: HomeAssistant | None = (
        request.getfixturevalue("hass") if "hass" in request.fixturenames else None
    )
    BLOCKING_CALLS.clear()
    guard = SecretsGuard()
    _record_secrets(monkeypatch, guard, ImmichState, "add_api_key")
    _record_secrets(monkeypatch, guard, ImmichState, "add_session")
    _check_services(monkeypatch, guard)
    _check_diagnostics(monkeypatch, guard)
    unlisten = None
    if hass is not None:

        @callback
        def state_written(event: Event[EventStateChangedData]) -> None:
            _entry_keys(hass, guard)
            if (state := event.data["new_state"]) is not None:
                guard.check(
                    f"state written to {state.entity_id}",
                    f"{state.state} {state.attributes!r}",
                )

        unlisten = hass.bus.async_listen(EVENT_STATE_CHANGED, state_written)
    root = logging.getLogger()
    ours = logging.getLogger(_LOGGER_NAME)
    level = ours.level
    ours.setLevel(logging.DEBUG)
    root.addHandler(guard)
    ours.addHandler(guard)
    _GUARD = guard
    try:
        yield guard
        problem = level_problem()
        assert problem is None, problem
    finally:
        _GUARD = None
        root.removeHandler(guard)
        ours.removeHandler(guard)
        ours.setLevel(level)
        if unlisten is not None:
            unlisten()
    if hass is not None:
        _entry_keys(hass, guard)
        for state in hass.states.async_all():
            guard.check(
                f"state of {state.entity_id}", f"{state.state} {state.attributes!r}"
            )
    assert not guard.leaks, "secret leaked:\n  " + "\n  ".join(guard.leaks)
    assert not BLOCKING_CALLS, "blocking calls in the event loop:\n  " + "\n  ".join(
        BLOCKING_CALLS
    )
