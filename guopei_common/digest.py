"""The divergence check's digest, shared by the desktop client and the provincial server (so both sides
hash the same way): per entity, the number of live rows and an order-independent hash of them.

A row contributes sha256("<row_id>|<hlc>") read as a 256-bit integer; the hash is the sum of those
modulo 2^256. A sum (unlike a sorted list) can be computed while streaming rows in any order, and
(unlike XOR) two copies of one contribution do not cancel out.

Only live rows (deleted = false) count. Tombstones do not: the server purges old ones
(`purge-tombstones`) and a client marks rows deleted after a snapshot without knowing the tombstone's
stamp, so tombstones legitimately differ. A deletion one side missed still shows, as a live row the
other side lacks.

Importable without Qt or the desktop database: the server imports it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

_MODULUS = 1 << 256
MAX_DIGEST_EXCLUDED = 20_000  # ids a client may ask the server to leave out; beyond that it skips the check


def row_contribution(row_id: str, hlc: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{row_id}|{hlc}".encode()).digest(), "big")


class StreamDigest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    count: int = 0
    hash: str = "0" * 64  # hex of the sum, fixed width


class DigestRequest(BaseModel):
    """Rows the client cannot compare, left out on both sides: its pending outbox ops (newer locally
    than on the server until pushed) and the changes the server refused (`sync.rejected`: kept locally,
    never stored or stored older on the server)."""

    model_config = ConfigDict(extra="ignore")

    exclude: dict[str, list[str]] = Field(default_factory=dict)


class DigestResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    entities: dict[str, StreamDigest]
    # The county's highest change sequence among the rows hashed (read in the same statement): when it
    # is above the client's cursor, changes arrived after the client's pull and a difference proves
    # nothing yet.
    seq: int


class Accumulator:
    """Count and hash of one entity's rows, fed one row at a time."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0

    def add(self, row_id: str, hlc: str) -> None:
        self.count += 1
        self.total = (self.total + row_contribution(row_id, hlc)) % _MODULUS

    def result(self) -> StreamDigest:
        return StreamDigest(count=self.count, hash=f"{self.total:064x}")


def digest_rows(rows: Iterable[tuple[str, str]]) -> StreamDigest:
    accumulator = Accumulator()
    for row_id, hlc in rows:
        accumulator.add(row_id, hlc)
    return accumulator.result()
