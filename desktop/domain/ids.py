"""Row identities minted on the device, never by the server (DESIGN: sync-ready from day one)."""

from __future__ import annotations

import os
import time
import uuid

# Namespace for identities derived from a natural key, so that the same fact recorded on two
# laptops (e.g. one teacher checked in at one session) gets the same id and merges on sync.
GUOPEI_NAMESPACE = uuid.UUID("6f0c5a56-3c1e-4e63-9d0e-2a7f1c9b8e41")


def new_id() -> str:
    """A time-ordered UUID (version 7, RFC 9562): new rows sort roughly by creation, which keeps
    SQLite's primary-key b-tree appends cheap."""
    unix_ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 68) << 64 & (0xFFF << 64)
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def natural_id(kind: str, *parts: str) -> str:
    """A deterministic UUID (version 5) from a natural key such as ("attendance", session, enrollment)."""
    return str(uuid.uuid5(GUOPEI_NAMESPACE, "/".join((kind, *parts))))


def op_id(entity: str, row_id: str, hlc: str) -> str:
    """The id of the outbox op that carries one version of one row: a row has one version per stamp
    (stamps are unique, their node is the device), so the op id follows from them and the server can
    derive it instead of receiving it (guopei_common.protocol.derived_op_id, the same formula)."""
    return natural_id("op", entity, row_id, hlc)
