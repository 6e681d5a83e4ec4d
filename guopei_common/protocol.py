"""The sync wire protocol: the one module that the desktop client and the provincial server share.

It must stay importable without Qt or the desktop database (the server imports it), so it holds only
message shapes, limits, and the encode/decode helpers both sides use. See docs/sync-protocol.md.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import uuid
import zlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from guopei_common.errors import UserError

PROTOCOL_VERSION = "1"
# Every server response carries this header. A captive portal (a hotel or school Wi-Fi login page)
# answers 200 with HTML and no such header: the client must treat that as "not connected", never as
# an acknowledgement, or it would delete outbox rows the server never saw.
PROTOCOL_HEADER = "X-Guopei-Protocol"

# Limits on one request or response body. Checked before decompression (what travels) and after (what
# is parsed), so that a small gzip stream expanding to gigabytes (a compression bomb) is refused early.
MAX_COMPRESSED_BYTES = 8 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 48 * 1024 * 1024

# The largest sequence number, cursor or log id a query may name: a signed 64-bit integer, what both
# databases store (a larger one would fail in the driver instead of being refused as a bad request).
MAX_SEQ = 2**63 - 1
MAX_BATCH_OPS = 2000  # ops per push batch; the client sends fewer (see client.DEFAULT_BATCH)
MAX_PULL_LIMIT = 2000  # changes per pull page
DEFAULT_PULL_LIMIT = 1000

# The entities that travel, as `__sync_entity__` names them in desktop/db/models. The server accepts
# only these; a test checks that the list matches the models, so a new synced table cannot be forgotten.
ENTITIES: frozenset[str] = frozenset(
    {
        "attendance",
        "certificate",
        "completion",
        "credit_entry",
        "enrollment",
        "enrollment_event",
        "integrity_record",
        "project",
        "reserve_pool_entry",
        "school",
        "session",
        "teacher",
        "training_class",
    }
)

# Natural keys: the columns (in the desktop's unique constraints) that name the same real thing
# whatever id a device gave it. Two rows with the same key are one row: the server merges the second
# into the first and tells the device the id to use (OpResult.canonical_id); a client that pulls a row
# whose key it already holds under another id re-keys its own. A test checks these match the models.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "teacher": ("id_number",),
    "project": ("code",),
    "enrollment": ("teacher_id", "project_id"),
    "attendance": ("session_id", "enrollment_id"),
    "completion": ("enrollment_id",),
    "certificate": ("serial",),
}

# Columns that hold another synced row's id, per entity: rewritten when the row they name was merged
# into another. A test checks these match the models' foreign keys.
REFERENCES: dict[str, dict[str, str]] = {
    "teacher": {"school_id": "school"},
    "reserve_pool_entry": {"teacher_id": "teacher"},
    "training_class": {"project_id": "project"},
    "session": {"class_id": "training_class"},
    "enrollment": {
        "teacher_id": "teacher",
        "project_id": "project",
        "class_id": "training_class",
        "sending_school_id": "school",
    },
    "enrollment_event": {"enrollment_id": "enrollment"},
    "attendance": {"session_id": "session", "enrollment_id": "enrollment"},
    "completion": {"enrollment_id": "enrollment"},
    "credit_entry": {"teacher_id": "teacher", "enrollment_id": "enrollment"},
    "integrity_record": {"teacher_id": "teacher", "enrollment_id": "enrollment", "project_id": "project"},
    "certificate": {"enrollment_id": "enrollment", "teacher_id": "teacher", "project_id": "project"},
}


def natural_key(entity: str, payload: dict[str, Any]) -> str | None:
    """The row's natural key as one string, or None when its entity has none (or a part is empty)."""
    columns = NATURAL_KEYS.get(entity)
    if columns is None:
        return None
    parts = [payload.get(column) for column in columns]
    if any(part in (None, "") for part in parts):
        return None
    return "|".join(str(part) for part in parts)


Outcome = Literal["applied", "duplicate", "rejected", "conflict"]
# Outcomes after which retrying cannot change anything: the client may drop the op from its outbox.
FINAL_OUTCOMES: frozenset[str] = frozenset({"applied", "duplicate", "rejected", "conflict"})

# Same fixed-width text form as desktop.domain.hlc.Hlc.encode(); text order is time order, which is
# what lets the server compare stamps as strings in SQL. Duplicated here (not imported) so that the
# protocol does not depend on the desktop package layout.
_HLC = re.compile(r"[0-9]{15}-[0-9]{5}-[0-9A-Za-z-]{1,40}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class PayloadTooLarge(ValueError):
    """A body over the size limit, before or after decompression (HTTP 413)."""


class BadPayload(ValueError):
    """A body that is not valid gzip or not valid JSON (HTTP 400)."""


def canonical_json(value: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def payload_hash(payload: dict[str, Any]) -> str:
    """sha256 of the payload's canonical JSON: tells a re-sent op from a different op reusing its id."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def gzip_encode(value: Any) -> bytes:
    # Level 6: most of the gain of 9 at a fraction of the CPU on old county PCs.
    return gzip.compress(json.dumps(value, ensure_ascii=False).encode("utf-8"), compresslevel=6)


def gzip_decode(
    data: bytes,
    *,
    max_compressed: int = MAX_COMPRESSED_BYTES,
    max_decompressed: int = MAX_DECOMPRESSED_BYTES,
) -> Any:
    """Decompress and parse a gzip JSON body, refusing it when either size exceeds its limit."""
    if len(data) > max_compressed:
        raise PayloadTooLarge(f"compressed body of {len(data)} bytes exceeds {max_compressed}")
    # A streaming decompressor with max_length stops after the limit instead of inflating it all:
    # gzip.decompress() would allocate the whole bomb before we could measure it.
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        raw = inflater.decompress(data, max_decompressed + 1)
    except zlib.error as error:
        raise BadPayload(f"not gzip: {error}") from None
    if len(raw) > max_decompressed or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"decompressed body exceeds {max_decompressed} bytes")
    if not inflater.eof:
        raise BadPayload("truncated gzip body")
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadPayload(f"not JSON: {error}") from None
    except RecursionError:  # nested past the parser's stack: no honest body is
        raise BadPayload(f"JSON nested deeper than {MAX_JSON_DEPTH}") from None
    if _too_deep(value, MAX_JSON_DEPTH):
        # Refused here, before hashing or validation recurse into it (and fail with a 500).
        raise BadPayload(f"JSON nested deeper than {MAX_JSON_DEPTH}")
    # Only a \u escape can make one (invalid UTF-8 fails the parse); no PC's text holds one.
    if b"\\u" in raw and _lone_surrogate(value):
        raise BadPayload("JSON text holds half of a surrogate pair (\\ud800…), which UTF-8 cannot encode")
    return value


# A push batch is about a dozen levels deep (batch, runs, columns, values, a project's conditions).
MAX_JSON_DEPTH = 32


def _too_deep(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return False


# Half of a UTF-16 surrogate pair: refused with the body, instead of failing (500) where the text is
# hashed or stored.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class _Message(BaseModel):
    # Unknown fields are an error rather than silently dropped: both ends are ours, and a typo in a
    # field name should fail a test instead of losing data.
    model_config = ConfigDict(extra="forbid")


class PushOp(_Message):
    op_id: str = Field(pattern=_UUID.pattern)
    entity: str = Field(max_length=40)
    row_id: str = Field(max_length=36, min_length=1)
    hlc: str = Field(pattern=_HLC.pattern, max_length=64)
    payload: dict[str, Any]
    payload_hash: str = Field(pattern=r"[0-9a-f]{64}")
    # The columns this change set, each with the value it had before; None for a new row (all of them).
    # Field-merged entities (teachers, enrollments) take only these from the op, so two devices' edits
    # of different fields both stay; the value before tells a plain edit from a concurrent one.
    changed: dict[str, Any] | None = Field(default=None, max_length=200)

    @classmethod
    def build(
        cls,
        op_id: str,
        entity: str,
        row_id: str,
        hlc: str,
        payload: dict[str, Any],
        changed: dict[str, Any] | None = None,
    ) -> PushOp:
        return cls(
            op_id=op_id,
            entity=entity,
            row_id=row_id,
            hlc=hlc,
            payload=payload,
            payload_hash=payload_hash(payload),
            changed=changed,
        )


class PushBatch(_Message):
    batch_id: str = Field(pattern=_UUID.pattern)  # for logs and support: per-op ids give idempotency
    device_id: str = Field(max_length=36)
    ops: list[PushOp] = Field(max_length=MAX_BATCH_OPS)

    @field_validator("ops")
    @classmethod
    def _unique_op_ids(cls, ops: list[PushOp]) -> list[PushOp]:
        if len({op.op_id for op in ops}) != len(ops):
            raise ValueError("op_id repeated within one batch")
        return ops


class OpResult(_Message):
    op_id: str
    outcome: Outcome
    reason: str = ""
    server_row: dict[str, Any] | None = None  # for "conflict": the newer row the server kept
    # For "duplicate": the outcome the op got the first time, so that a client whose first answer was
    # lost still learns that the op was rejected (and keeps it visible) rather than dropping it.
    first_outcome: Outcome | None = None
    # The id the server keeps this row under when it differs from the op's row_id (same natural key
    # as a row it already had): the client re-keys its row and everything that refers to it.
    canonical_id: str | None = None
    # The stamp the server stored when it differs from the op's: a stamp too far in the future is
    # clamped to the server's clock (so one PC's wrong clock cannot drag every county's forward).
    hlc: str | None = None


class PushResponse(_Message):
    batch_id: str
    results: list[OpResult]
    server_seq: int  # the county's change sequence after this batch, for diagnostics
    # The server's clock when it answered (ms since the epoch): the client warns when its own is far off.
    server_time_ms: int | None = None


class Change(_Message):
    seq: int
    entity: str
    row_id: str
    hlc: str
    origin: str  # the device that made the change; a client skips its own
    deleted: bool
    payload: dict[str, Any]


class PullPage(_Message):
    changes: list[Change]
    next_cursor: int
    has_more: bool
    # The county's changes after `next_cursor`, for a progress bar. Sent only when the pull asks for it
    # (`remaining=1`): a client from before it (which refuses unknown fields) never asks.
    remaining: int | None = None


class ConflictNote(_Message):
    """One entry of the province's conflict log, as the county's 同步 page shows it."""

    id: int
    entity: str
    row_id: str
    field: str  # "*": the whole row
    kept: Any
    lost: Any
    lost_origin: str  # the device whose value lost ("province" for the province)
    rule: str
    recorded_at: str  # ISO, server time


class ConflictPage(_Message):
    conflicts: list[ConflictNote]
    next_after: int  # pass as `after` next time


class RegisterRequest(_Message):
    code: str = Field(max_length=64)
    device_id: str = Field(pattern=_UUID.pattern)
    # The local database's county; the server refuses a code of another county. None: a new PC with no
    # county yet (`guopei-desk init --server`), which takes the code's county.
    county_code: str | None = Field(default=None, pattern=r"[0-9]{6}")
    # The device's Ed25519 certificate-signing public key (hex of the raw 32 bytes). Optional: older
    # clients do not send it; the province can register their key by hand (`guopei-server register-key`).
    public_key: str | None = Field(default=None, pattern=r"[0-9a-f]{64}")


class RegisterResponse(_Message):
    device_token: str
    county_code: str
    county_name: str


class DeviceResponse(_Message):
    """`GET /v1/device`: who the calling token belongs to (a PC rebuilding its lost database needs its
    own device id and county), nothing else."""

    device_id: str
    county_code: str
    county_name: str


class DeviceNumberResponse(_Message):
    """`GET /v1/device-number`: the calling device's number within its county, which its certificate
    serials carry (`522727-2026-D02-00042`). Its own endpoint: a PC from before it never asks."""

    number: int = Field(ge=1, le=999)


class CountyKey(_Message):
    county_code: str
    key_id: str
    public_key: str  # hex of the raw 32-byte Ed25519 public key


class KeysResponse(_Message):
    """`GET /v1/keys`: every county's certificate-signing public keys, so a certificate from any county
    of the province verifies offline on any device."""

    keys: list[CountyKey]


class PolicyResponse(_Message):
    """`GET /v1/policy`: the province's switches for the caller's county. None: not set by the province,
    the county's own setting stays."""

    offline_training_suspended: bool | None = None
    guopei_limit: int | None = None
    cycle_years: int | None = None
    updated_at: str | None = None  # ISO time of the province's last change, for display and support


class LevelLimitWire(_Message):
    limit: int = Field(ge=1, le=100)
    years: int = Field(ge=1, le=100)


class PolicyRulesResponse(_Message):
    """`GET /v1/policy/rules`: the province's rules for the caller's county, fetched with the policy
    switches: participation limits of other levels than 国培 (per TrainingLevel code), the versions of
    the credit rules (guopei_common.credit_rules.CreditRuleVersion.to_dict) and the training cycle
    (guopei_common.training_cycle.TrainingCycle.to_dict). Its own endpoint, like the app version, so a
    PC from before it never meets fields it does not know. None: not set, the county's own stays."""

    level_limits: dict[str, LevelLimitWire] | None = None
    credit_rules: list[dict[str, Any]] | None = Field(default=None, max_length=100)
    training_cycle: dict[str, Any] | None = None
    updated_at: str | None = None


class AppReleaseResponse(_Message):
    """`GET /v1/app-version`: the desktop version the province has published (`guopei-server
    app-version`), which a county PC compares with its own to say that a newer one exists. Its own
    endpoint rather than a field of the policy: a PC from before it never asks, so never sees a field
    it does not know. None: the province has published none."""

    version: str | None = Field(default=None, max_length=30)
    notes: str = Field(default="", max_length=2000)
    published_at: str | None = None  # ISO time, UTC


class TransferNote(_Message):
    """One teacher transfer (调动申请) as a county's 同步 page shows it: "in" for a teacher this county
    recorded whom another holds (its own row), "out" for one of its teachers another county asks for
    (its own row, and which county asks). Never the other county's data."""

    id: int
    direction: Literal["in", "out"]
    row_id: str  # this county's own id for the teacher
    name: str
    other_county: str  # "out": the asking county; "in": empty (where a person works is theirs to tell)
    status: Literal["pending", "approved", "rejected"]
    reason: str  # the province's, when rejected
    created_at: str  # ISO, server time
    decided_at: str | None = None


class TransferPage(_Message):
    transfers: list[TransferNote]


# A registration QR code holds the server address and the one-time code together, so that a county
# PC registers by scanning it (a USB scanner types it into the dialog) instead of typing both.
REGISTRATION_PREFIX = "GPR1"


def registration_text(url: str, code: str) -> str:
    return f"{REGISTRATION_PREFIX}|{url.strip()}|{code.strip()}"


# The province's one-time codes: four groups of four from an alphabet without 0/O and 1/I/L.
REGISTRATION_CODE = re.compile(r"[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}")


def parse_registration(text: str) -> tuple[str, str] | None:
    """(server address, code) from a scanned registration QR code's text, or None if it is not one
    yet. A USB scanner types the text one character at a time into whichever field has the focus: the
    text counts only once the code is complete, or the rest of it would land in the other field."""
    parts = text.strip().split("|")
    if len(parts) != 3 or parts[0] != REGISTRATION_PREFIX or not parts[1]:
        return None
    if not REGISTRATION_CODE.fullmatch(parts[2]):
        return None
    return parts[1], parts[2]


# The province's HTTPS certificate may be pinned by the registration QR: its SHA-256 (of the DER form,
# hex) rides in the server address's fragment, `https://host/#sha256=…`. A fragment is never sent to
# the server, and the address travels everywhere as it is (dialog, credentials file, first pull), so the
# pin goes wherever the address goes; a QR without one reads as before.
PIN_PREFIX = "sha256="
_PIN = re.compile(r"[0-9a-f]{64}")


def pinned_url(url: str, fingerprint: str) -> str:
    fingerprint = fingerprint.strip().lower().replace(":", "")
    if _PIN.fullmatch(fingerprint) is None:
        raise ValueError("证书指纹应为 64 位十六进制（SHA-256）")
    return f"{url.strip().split('#', 1)[0]}#{PIN_PREFIX}{fingerprint}"


class MalformedPin(UserError):
    """An address whose `#sha256=` fragment is not a SHA-256 fingerprint (typed or copied wrong)."""


def split_pin(url: str) -> tuple[str, str | None]:
    """(address without the fragment, pinned certificate fingerprint or None); MalformedPin when the
    fragment names a pin that is not one."""
    address, _, fragment = url.strip().partition("#")
    if fragment.startswith(PIN_PREFIX):
        fingerprint = fragment[len(PIN_PREFIX) :].lower()
        if _PIN.fullmatch(fingerprint) is not None:
            return address, fingerprint
        raise MalformedPin("地址中的证书指纹格式不对（应为 #sha256= 加 64 位十六进制）")
    return address, None


PROVINCE_NODE = "province"


def stamp_after(previous: str, *, wall_ms: int, node: str = PROVINCE_NODE) -> str:
    """An HLC, in the wire's fixed-width text form ("<15-digit ms>-<5-digit counter>-<node>"), later
    than `previous`: what the province stamps its own decisions with, so they win over the county's
    version they answer, however the county's clock was set."""
    wall_text, counter_text, _node = previous.split("-", 2)
    wall, counter = int(wall_text), int(counter_text)
    if wall_ms > wall:
        return f"{wall_ms:015d}-{0:05d}-{node}"
    return f"{wall:015d}-{counter + 1:05d}-{node}"


# The compact wire form of a push (what the client sends; the server also accepts a plain PushBatch).
#
# A county's day is mostly thousands of check-ins, and on a 64 kbit/s link their bytes are the sync's
# time. Per op, a plain PushBatch repeats every column name, the row id and stamp (in the op and in
# the payload) and a 64-digit hash; its answer repeats the op id and every empty field. The compact
# form sends runs of ops of one entity column by column (gzip then finds the repeats), leaves out what
# the receiver can compute (the hash; an attendance id derived from its session and enrollment) and is
# answered by position: one letter per op, details only where there are any. Decoded, both ends hold
# the same PushBatch and PushResponse as before: the rules do not know which form travelled.

# Entities whose id is derived from their natural key (desktop.domain.ids.natural_id): sent as null.
DERIVED_IDS: dict[str, tuple[str, ...]] = {"attendance": ("session_id", "enrollment_id")}
# The same namespace as desktop.domain.ids.GUOPEI_NAMESPACE (copied, not imported, like the HLC pattern
# above; a test checks they agree).
_ID_NAMESPACE = uuid.UUID("6f0c5a56-3c1e-4e63-9d0e-2a7f1c9b8e41")
_OUTCOME_LETTERS = {"applied": "a", "duplicate": "d", "rejected": "r", "conflict": "c"}
_LETTER_OUTCOMES = {letter: outcome for outcome, letter in _OUTCOME_LETTERS.items()}


def derived_id(entity: str, payload: dict[str, Any]) -> str | None:
    parts = DERIVED_IDS.get(entity)
    if parts is None or any(not isinstance(payload.get(part), str) for part in parts):
        return None
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join((entity, *(payload[part] for part in parts)))))


def derived_op_id(entity: str, row_id: str, hlc: str) -> str:
    """The op id a client derives from the version it carries (desktop.domain.ids.op_id): sent as null."""
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(("op", entity, row_id, hlc))))


class CompactRun(_Message):
    entity: str = Field(max_length=40)
    op_ids: list[str | None]  # null where derived from the row's id and stamp
    columns: dict[str, list[Any]]  # payload values, column by column; "id" null where derived
    changed: list[dict[str, Any] | None]


class CompactBatch(_Message):
    batch_id: str = Field(pattern=_UUID.pattern)
    device_id: str = Field(max_length=36)
    runs: list[CompactRun]


class CompactResponse(_Message):
    batch_id: str
    server_seq: int
    server_time_ms: int | None = None
    # One letter per op, in order: a(pplied), d(uplicate), r(ejected), c(onflict).
    outcomes: str = Field(pattern=r"^[adrc]*$")
    details: dict[str, dict[str, Any]] = {}  # op index → the rest of its OpResult, where not empty


def compact_batch(batch: PushBatch) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    for op in batch.ops:
        if not runs or runs[-1]["entity"] != op.entity:
            runs.append({"entity": op.entity, "op_ids": [], "columns": {}, "changed": [], "size": 0})
        run = runs[-1]
        index = run["size"]
        payload = dict(op.payload)
        derivable_op = op.op_id == derived_op_id(op.entity, op.row_id, op.hlc)
        if payload.get("id") == derived_id(op.entity, payload):
            payload["id"] = None
        for name in run["columns"].keys() | payload.keys():
            column = run["columns"].setdefault(name, [None] * index)
            column.append(payload.get(name))
        run["op_ids"].append(None if derivable_op else op.op_id)
        run["changed"].append(op.changed)
        run["size"] = index + 1
    for run in runs:
        del run["size"]
    return {"batch_id": batch.batch_id, "device_id": batch.device_id, "runs": runs}


def expand_batch(body: dict[str, Any]) -> PushBatch:
    """A compact batch back to the PushBatch it encodes. Columns a payload did not have come back as
    null (a payload lists every column of its table, so a whole column is absent or present)."""
    compact = CompactBatch.model_validate(body)
    ops: list[PushOp] = []
    for run in compact.runs:
        size = len(run.op_ids)
        if len(run.changed) != size or any(len(values) != size for values in run.columns.values()):
            raise ValueError(f"{run.entity}: columns of unequal length")
        for index in range(size):
            payload = {name: values[index] for name, values in run.columns.items()}
            if payload.get("id") is None:
                payload["id"] = derived_id(run.entity, payload)
            if not isinstance(payload.get("id"), str) or not isinstance(payload.get("hlc"), str):
                raise ValueError(f"{run.entity}: op {index} has no id or hlc")
            op_id = run.op_ids[index] or derived_op_id(run.entity, payload["id"], payload["hlc"])
            ops.append(
                PushOp.build(op_id, run.entity, payload["id"], payload["hlc"], payload, run.changed[index])
            )
    return PushBatch(batch_id=compact.batch_id, device_id=compact.device_id, ops=ops)


def compact_response(response: PushResponse) -> dict[str, Any]:
    details = {}
    for index, result in enumerate(response.results):
        rest = result.model_dump(exclude={"op_id", "outcome"}, exclude_defaults=True)
        if rest:
            details[str(index)] = rest
    return CompactResponse(
        batch_id=response.batch_id,
        server_seq=response.server_seq,
        server_time_ms=response.server_time_ms,
        outcomes="".join(_OUTCOME_LETTERS[result.outcome] for result in response.results),
        details=details,
    ).model_dump(exclude_defaults=True)


def expand_response(body: dict[str, Any], batch: PushBatch) -> PushResponse:
    """The server's positional answer to `batch` as a PushResponse (op ids from the batch sent)."""
    compact = CompactResponse.model_validate(body)
    if len(compact.outcomes) > len(batch.ops):
        raise ValueError("more results than ops")
    results = [
        OpResult(op_id=op.op_id, outcome=_LETTER_OUTCOMES[letter], **compact.details.get(str(index), {}))
        for index, (op, letter) in enumerate(zip(batch.ops, compact.outcomes, strict=False))
    ]
    return PushResponse(
        batch_id=compact.batch_id,
        results=results,
        server_seq=compact.server_seq,
        server_time_ms=compact.server_time_ms,
    )
