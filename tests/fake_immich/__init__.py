"""A spec-checked Immich stand-in (docs/dev/CONTRACTS.md, section "Fake Immich").

Usage in tests: request ``immich_server`` (v3 and v2) or ``immich_server_v3`` from the
plugin; seed data through ``server.state.add_*``; inject faults with
``server.set_fault(operation_id, ...)``; inspect ``server.requests``. Anything the spec
does not allow (unknown path, bad body, missing response field...) lands in
``server.violations`` and fails the test at teardown; tests that provoke violations on
purpose claim exactly those with ``server.expect_violations(*patterns)``.

Behaviour worth knowing (it follows the real server, not only the spec):

* An id the caller may not see answers ``400 "Not found or no <permission> access"``.
* Auth order: 401 (no or unknown key), then 403 ``Forbidden`` for admin-only operations,
  then 403 ``Missing required permission: <perm>``; request violations answer 400 after
  that (they are recorded in any case).
* Error responses are not in the spec, so they are not validated; success responses
  are pruned to the fields of the active spec and validated.
* Paths are matched strictly (a trailing slash is an unknown path).
* ``delay`` faults end after the delay in loop time *or* real time (frozen clocks).
* Unimplemented operations answer 501 and are recorded as violations.
* Sharing follows the real server (``tests/real/test_differential.py`` compares the
  two): ``GET /albums`` lists only own albums unless ``shared=true``; album roles
  (viewer, editor, owner); albums and tags take own or partner assets only; search
  and random see own and timeline-partner assets only, never shared-album ones.
* ``Authorization: Bearer <token>`` (from ``POST /auth/login``) is a session with
  every permission, like a logged-in user.
"""

from .server import FakeImmich, Fault, RecordedRequest, error_body
from .spec import SPEC_DIR, SPEC_ENV, SPEC_FILES, ImmichSpec, load_spec, spec_path
from .state import ImmichState, QueueState

__all__ = [
    "SPEC_DIR",
    "SPEC_ENV",
    "SPEC_FILES",
    "FakeImmich",
    "Fault",
    "ImmichSpec",
    "ImmichState",
    "QueueState",
    "RecordedRequest",
    "error_body",
    "load_spec",
    "spec_path",
]
