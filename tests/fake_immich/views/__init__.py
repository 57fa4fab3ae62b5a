"""Request handlers of the fake Immich server, one per spec ``operationId``.

Handlers are synchronous: the server has already authenticated the caller, read and
validated the body (JSON in ``call.body``, multipart fields in ``call.form``) before
calling them. Behaviour follows the Immich server source where the spec is silent, e.g.
an id the caller may not see is a ``400 Not found or no <permission> access`` (not a
404).

The handlers are split by API area; importing this package registers them all in
:data:`HANDLERS` (see :func:`.base.handles`).
"""

from __future__ import annotations

from . import albums, assets, jobs, search, server
from .base import HANDLERS, Call, FileReply, Handler, ImmichHTTPError, Reply, UploadForm

AREAS = (server, albums, assets, jobs, search)
"""The modules holding the handlers, one per API area."""

__all__ = [
    "AREAS",
    "HANDLERS",
    "Call",
    "FileReply",
    "Handler",
    "ImmichHTTPError",
    "Reply",
    "UploadForm",
]
