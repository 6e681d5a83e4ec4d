"""Teacher transfers between counties (调动申请), decided by the province.

A teacher (one ID number) is held by one county at a time. When another county records them, its row
is kept here as a request instead of being applied (server.push), and the province approves or
rejects it (`guopei-server transfers`). On approval, in one transaction under the change counter lock:

- the holding county's row becomes 调出 (employment status `transferred`), stamped by the province, and
  read-only there: that county keeps its record of the trainings it ran, whose rows still name it;
- the asking county's row is stored under its own id, stamped after its own version, so that its PCs
  adopt it at their next pull;
- the teacher's past trainings (enrollments, completions, status history, credits, integrity records,
  certificates, and the projects, classes and schools they name) are granted to the asking county
  (server.scope): they enter its feed, naming the teacher by its own id. They stay the other county's
  rows; its certificates keep their serials and still verify.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from guopei_common.idnumber import mask_id_number
from guopei_common.protocol import PROVINCE_NODE, REFERENCES, TransferNote, TransferPage, stamp_after
from server.db import County, RowAlias, RowGrant, SyncedRow, TransferRequest, lock_change_counter
from server.scope import APPROVED, PENDING, county_names

REJECTED = "rejected"
# A county with this many requests waiting has its new teachers held back altogether (see server.push):
# answering "transfer requested" for a number another county holds and "applied" for one nobody holds
# would let it test ID numbers; past this many, every new teacher gets the same answer.
MAX_PENDING = 200
TOO_MANY_PENDING = f"本县待省级审核的调动申请已达 {MAX_PENDING} 条，新录入的教师暂不同步，请联系省级平台"
# Identity as the province already holds it wins over the asking county's typing of it.
IDENTITY = ("id_number", "name", "gender", "birth_date", "ethnicity")
# Rows that name the teacher directly and travel with them as their history.
_HISTORY = ("enrollment", "credit_entry", "integrity_record", "certificate")
# Rows that hang off an enrollment.
_OF_ENROLLMENT = ("completion", "enrollment_event")
# A new row of these, naming a teacher who moved on or an enrollment shared with another county, is
# shared there too (share_late).
LATE = frozenset(_HISTORY + _OF_ENROLLMENT)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def pending_count(session: Session, county_code: str) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                TransferRequest.to_county == county_code, TransferRequest.status == PENDING
            )
        )
        or 0
    )


def transferred_out(session: Session, row_ids: list[str]) -> set[str]:
    """Which of these teacher rows their county has given up by an approved transfer (read-only there)
    and not taken back by a later one (the teacher returned: the row is the one asked for again)."""
    last: dict[str, tuple[tuple[dt.datetime, int], bool]] = {}
    # At least one query, even for no rows: a push that met another county's teacher must take as long
    # as one that met none.
    for start in range(0, max(len(row_ids), 1), 500):
        chunk = row_ids[start : start + 500]
        for request in session.scalars(
            select(TransferRequest).where(
                TransferRequest.status == APPROVED,
                or_(TransferRequest.from_row_id.in_(chunk), TransferRequest.requested_row_id.in_(chunk)),
            )
        ):
            order = (request.decided_at or request.created_at, request.id)
            for row_id, out in ((request.from_row_id, True), (request.requested_row_id, False)):
                if row_id in chunk and (row_id not in last or last[row_id][0] < order):
                    last[row_id] = (order, out)
    return {row_id for row_id, (_order, out) in last.items() if out}


def shared_rows(session: Session, entity: str, row_ids: list[str]) -> set[str]:
    """Which of these rows of a county are granted to another county (a moved teacher's history)."""
    found: set[str] = set()
    for start in range(0, len(row_ids), 500):
        found.update(
            session.scalars(
                select(RowGrant.row_id).where(
                    RowGrant.entity == entity, RowGrant.row_id.in_(row_ids[start : start + 500])
                )
            )
        )
    return found


def share_late(session: Session, *, row: SyncedRow, seq: int, now: dt.datetime) -> int:
    """A row a county stored after the teacher it names moved on (a completion, credits, a certificate
    of a training it ran, pushed late): shared like the history the approval shared, with every county
    the teacher went to since (through the teacher it names, or the enrollment it hangs off), with what
    it names that a county cannot read yet. Returns the last change sequence number used (parents newly
    granted take new ones, so that they enter the feed after any cursor)."""
    payload = json.loads(row.payload)
    if payload.get("teacher_id"):
        targets = _moves_after(session, payload["teacher_id"])
    else:
        transfer_ids = session.scalars(
            select(RowGrant.transfer_id).where(
                RowGrant.entity == "enrollment", RowGrant.row_id == payload.get("enrollment_id", "")
            )
        ).all()
        targets = [found for i in transfer_ids if (found := session.get(TransferRequest, i)) is not None]
    for request in targets:
        if request.to_county == row.county_code or (row.entity, row.row_id) in _private_ids(
            session, request.to_county
        ):
            continue  # back where it was made (its own row), or an id that county uses for its own
        parents = _ungranted_parents(session, row, request.to_county)
        rows, renamed, left_out = _fit(session, {(r.entity, r.row_id): r for r in (row, *parents)}, request)
        if left_out or row not in rows:
            continue  # its project's code is another project there (as at the approval)
        if renamed:
            request.rewrites = _json({**json.loads(request.rewrites or "{}"), **renamed})
        for shared in rows:
            session.add(
                RowGrant(
                    county_code=request.to_county,
                    entity=shared.entity,
                    row_id=shared.row_id,
                    transfer_id=request.id,
                    granted_at=now,
                )
            )
            if shared is not row:
                seq += 1
                shared.seq = seq
        session.flush()  # the next late row of the batch finds these grants
    return seq


def _private_ids(session: Session, county_code: str) -> set[tuple[str, str]]:
    """(entity, id) the county uses for rows of its own that the server keeps under other ids."""
    return set(
        session.execute(
            select(RowAlias.entity, RowAlias.alias_id).where(
                RowAlias.county_code == county_code, RowAlias.private.is_(True)
            )
        ).all()
    )


def _moves_after(session: Session, teacher_id: str) -> list[TransferRequest]:
    """The approved transfers that took this teacher row's person on, each from the row the last one
    left them in (A→B, then B→C …), in order; back where they started, the list ends."""
    found: list[TransferRequest] = []
    current, after = teacher_id, None
    while True:
        query = select(TransferRequest).where(
            TransferRequest.status == APPROVED, TransferRequest.from_row_id == current
        )
        moves = [m for m in session.scalars(query) if after is None or (m.decided_at or m.created_at) > after]
        if not moves or len(found) > 50:
            return found
        move = min(moves, key=lambda m: (m.decided_at or m.created_at, m.id))
        found.append(move)
        current, after = move.requested_row_id, move.decided_at or move.created_at


def _ungranted_parents(session: Session, row: SyncedRow, county_code: str) -> list[SyncedRow]:
    """What the row names (its project, class, enrollment …, and what they name; never a teacher) that
    the county cannot read yet."""
    found: dict[tuple[str, str], SyncedRow] = {}
    frontier = [row]
    while frontier:
        current = frontier.pop()
        payload = json.loads(current.payload)
        for column, target in REFERENCES.get(current.entity, {}).items():
            value = payload.get(column)
            if target == "teacher" or not isinstance(value, str) or (target, value) in found:
                continue
            parent = session.get(SyncedRow, (target, value))
            if parent is None or parent.county_code == county_code:
                continue
            granted = session.get(RowGrant, (county_code, target, value))
            if granted is None:
                found[(target, value)] = parent
                frontier.append(parent)
    return list(found.values())


def pending_requested(session: Session, county_code: str, row_id: str) -> bool:
    """Whether the county's row id names a teacher whose transfer waits for the province."""
    return (
        session.scalar(
            select(TransferRequest.id)
            .where(
                TransferRequest.to_county == county_code,
                TransferRequest.requested_row_id == row_id,
                TransferRequest.status == PENDING,
            )
            .limit(1)
        )
        is not None
    )


def request_transfer(
    session: Session,
    *,
    holder: SyncedRow,
    county_code: str,
    device_id: str,
    payload: dict[str, Any],
    now: dt.datetime,
) -> str | None:
    """Record (or bring up to date) the county's request for the teacher `holder` holds. Returns the
    row id of an earlier request for the same person, which the pushed id becomes an alias of (the same
    teacher entered on two PCs of the asking county), or None."""
    earlier = session.scalar(
        select(TransferRequest).where(
            TransferRequest.to_county == county_code,
            TransferRequest.from_row_id == holder.row_id,
            TransferRequest.status == PENDING,
        )
    )
    if earlier is not None:
        same_id = earlier.requested_row_id == payload["id"]
        earlier.payload = _json({**payload, "id": earlier.requested_row_id})
        earlier.requested_by = device_id
        earlier.updated_at = now
        return None if same_id else earlier.requested_row_id
    session.add(
        TransferRequest(
            id_number=payload["id_number"],
            from_county=holder.county_code,
            to_county=county_code,
            from_row_id=holder.row_id,
            requested_row_id=payload["id"],
            payload=_json(payload),
            requested_by=device_id,
            status=PENDING,
            reason="",
            created_at=now,
            updated_at=now,
        )
    )
    return None


# --- the province's side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    id: int
    masked_id_number: str
    name: str
    from_county: str
    to_county: str
    requested_by: str
    status: str
    reason: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


def list_transfers(engine: Engine, *, include_decided: bool = False) -> list[Transfer]:
    """Requests for the province to decide (ID numbers masked: the list may be printed or shared)."""
    query = select(TransferRequest).order_by(TransferRequest.id)
    if not include_decided:
        query = query.where(TransferRequest.status == PENDING)
    with Session(engine) as session:
        return [
            Transfer(
                request.id,
                mask_id_number(request.id_number),
                str(json.loads(request.payload).get("name", "")),
                request.from_county,
                request.to_county,
                request.requested_by,
                request.status,
                request.reason,
                request.created_at,
                request.decided_at,
            )
            for request in session.scalars(query)
        ]


def _pending(session: Session, transfer_id: int) -> TransferRequest:
    request = session.get(TransferRequest, transfer_id)
    if request is None:
        raise LookupError(f"没有编号为 {transfer_id} 的调动申请")
    if request.status != PENDING:
        raise ValueError(f"调动申请 {transfer_id} 已处理（{request.status}）")
    return request


def reject_transfer(engine: Engine, transfer_id: int, *, reason: str) -> None:
    if not reason.strip():
        raise ValueError("驳回调动申请须写明原因")
    with Session(engine) as session, session.begin():
        request = _pending(session, transfer_id)
        request.status = REJECTED
        request.reason = reason.strip()
        request.decided_at = _now()


@dataclass(frozen=True)
class Approved:
    from_county: str
    to_county: str
    history: int  # rows of the teacher's past trainings now readable by the county they joined
    left_out: int  # rows not shared: their project's code names another project in that county


def approve_transfer(engine: Engine, transfer_id: int) -> Approved:
    with Session(engine) as session, session.begin():
        counter = lock_change_counter(session)
        request = _pending(session, transfer_id)
        holder = session.get(SyncedRow, ("teacher", request.from_row_id))
        if (
            holder is None
            or holder.deleted
            or holder.county_code != request.from_county
            or transferred_out(session, [holder.row_id])
        ):
            raise ValueError("原区县的这名教师已被删除或已调出，不能再调动")
        asked = json.loads(request.payload)
        school = session.get(SyncedRow, ("school", asked.get("school_id", "")))
        if school is None or school.deleted or school.county_code != request.to_county:
            raise ValueError("申请中填写的学校在调入区县已不存在，请驳回并请其重新录入")
        existing = session.get(SyncedRow, ("teacher", request.requested_row_id))
        if existing is not None and existing.county_code != request.to_county:
            raise ValueError("调入区县的记录编号与其他区县的记录冲突")
        wall_ms = time.time_ns() // 1_000_000
        now = _now()

        def next_seq() -> int:
            counter.value += 1
            return counter.value

        # The county they leave keeps its record, marked 调出 and read-only there (server.push).
        left = json.loads(holder.payload)
        holder.hlc = stamp_after(holder.hlc, wall_ms=wall_ms)
        left.update(employment_status="transferred", hlc=holder.hlc, origin=PROVINCE_NODE)
        stamps = json.loads(holder.field_hlcs or "{}")
        stamps["employment_status"] = holder.hlc
        holder.payload, holder.origin, holder.seq = _json(left), PROVINCE_NODE, next_seq()
        holder.field_hlcs = _json(stamps)

        # The county they join: its own row, with the identity the province holds.
        base = max(asked["hlc"], existing.hlc if existing is not None else "")
        stamp = stamp_after(base, wall_ms=wall_ms)
        joined = {**asked, **{name: left[name] for name in IDENTITY if name in left}}
        joined.update(
            id=request.requested_row_id,
            hlc=stamp,
            origin=PROVINCE_NODE,
            deleted=False,
            employment_status="active",
        )
        values = {
            "county_code": request.to_county,
            "hlc": stamp,
            "origin": PROVINCE_NODE,
            "payload": _json(joined),
            "deleted": False,
            "seq": next_seq(),
            "natural_key": joined["id_number"],
            "field_hlcs": _json({name: stamp for name in joined if name not in ("id", "hlc", "origin")}),
        }
        if existing is None:
            session.add(SyncedRow(entity="teacher", row_id=request.requested_row_id, **values))
        else:
            for name, value in values.items():
                setattr(existing, name, value)

        history, renamed, left_out = _shared_history(session, request)
        request.rewrites = _json(renamed)
        granted = {
            (grant.entity, grant.row_id)
            for grant in session.scalars(select(RowGrant).where(RowGrant.county_code == request.to_county))
        }
        for row in history:
            if (row.entity, row.row_id) not in granted:
                session.add(
                    RowGrant(
                        county_code=request.to_county,
                        entity=row.entity,
                        row_id=row.row_id,
                        transfer_id=request.id,
                        granted_at=now,
                    )
                )
            # A new sequence number (same version): the row enters the joining county's feed after any
            # cursor its PCs hold. The leaving county's PCs see their own version again and keep it.
            row.seq = next_seq()
        request.status = APPROVED
        request.decided_at = now
        return Approved(request.from_county, request.to_county, len(history), left_out)


def _shared_history(
    session: Session, request: TransferRequest
) -> tuple[list[SyncedRow], dict[str, str], int]:
    """The rows of the teacher's past trainings to grant to the joining county, the ids its feed names
    by its own, and how many rows are left out.

    The history is the whole of it: the trainings in the county they leave, and in every county they
    were in before (A→B→C brings A's and B's to C), but the rows the joining county holds itself (a
    teacher coming back, B→A, finds A's own records where they were). Every teacher row of theirs
    along the way is named by the joining county's id."""
    links = _earlier_rows(session, request.from_county, request.from_row_id)
    taken = _private_ids(session, request.to_county)
    history = {
        (row.entity, row.row_id): row
        for county_code, teacher_id in links
        for row in _history(session, county_code, teacher_id)
        if row.county_code != request.to_county
    }
    rows, renamed, left_out = _fit(session, history, request)
    # An id the joining county already uses for a row of its own (it pushed another county's row id:
    # server.push keeps that row under an id of the server's making): its feed cannot show both.
    clash = [row for row in rows if (row.entity, row.row_id) in taken]
    rows = [row for row in rows if (row.entity, row.row_id) not in taken]
    left_out += len(clash)
    renamed.update({teacher_id: request.requested_row_id for _county, teacher_id in links})
    return rows, renamed, left_out


def _earlier_rows(session: Session, county_code: str, teacher_id: str) -> list[tuple[str, str]]:
    """(county, teacher row) for the teacher here and in every county an approved transfer brought them
    from, however far back."""
    links = [(county_code, teacher_id)]
    seen = {teacher_id}
    frontier = [teacher_id]
    while frontier:
        earlier = session.execute(
            select(TransferRequest.from_county, TransferRequest.from_row_id).where(
                TransferRequest.status == APPROVED, TransferRequest.requested_row_id.in_(frontier)
            )
        ).all()
        frontier = [row_id for _county, row_id in earlier if row_id not in seen]
        links += [(county, row_id) for county, row_id in earlier if row_id not in seen]
        seen.update(frontier)
    return links


def _fit(
    session: Session, history: dict[tuple[str, str], SyncedRow], request: TransferRequest
) -> tuple[list[SyncedRow], dict[str, str], int]:
    """The rows the joining county can take, the project ids its feed names by its own, and how many
    rows are left out.

    A county's database holds one project per code. A province project both counties hold (published to
    each under its own id) is named by the joining county's id instead of being granted; a project
    whose code is one of the joining county's own projects is a different project under the same code:
    it and the rows that name it are left out."""
    history = dict(history)
    renamed: dict[str, str] = {}
    dropped: set[str] = set()
    for key, row in list(history.items()):
        if row.entity != "project":
            continue
        payload = json.loads(row.payload)
        theirs = session.scalar(
            select(SyncedRow).where(
                SyncedRow.entity == "project",
                SyncedRow.county_code == request.to_county,
                SyncedRow.natural_key == payload.get("code"),
                SyncedRow.deleted.is_(False),
            )
        )
        if theirs is None:
            continue
        del history[key]
        if payload.get("owner") == "province" and json.loads(theirs.payload).get("owner") == "province":
            renamed[row.row_id] = theirs.row_id
        else:
            dropped.add(row.row_id)
    left_out = 0
    while dropped:  # what names a left-out row is left out in turn (a class, its enrollments, …)
        names = {
            key
            for key, row in history.items()
            if set(json.loads(row.payload).get(column) for column in REFERENCES.get(row.entity, {})) & dropped
        }
        left_out += len(names)
        dropped = {row_id for _entity, row_id in names}
        for key in names:
            del history[key]
    return list(history.values()), renamed, left_out


def _rows_naming(
    session: Session, county_code: str, entities: tuple[str, ...], column: str, ids: set[str]
) -> list[SyncedRow]:
    """The county's rows of these entities whose `column` is one of `ids` (the payload is JSON text:
    a LIKE finds the candidates, the parsed payload decides)."""
    if not ids:
        return []
    candidates = session.scalars(
        select(SyncedRow).where(
            SyncedRow.county_code == county_code,
            SyncedRow.entity.in_(entities),
            or_(*(SyncedRow.payload.contains(row_id) for row_id in sorted(ids))),
        )
    )
    return [row for row in candidates if json.loads(row.payload).get(column) in ids]


def _history(session: Session, county_code: str, teacher_id: str) -> list[SyncedRow]:
    """The teacher's past trainings in the county, and every row they refer to (but the teacher)."""
    found = {
        (row.entity, row.row_id): row
        for row in _rows_naming(session, county_code, _HISTORY, "teacher_id", {teacher_id})
    }
    enrollments = {row_id for entity, row_id in found if entity == "enrollment"}
    for row in _rows_naming(session, county_code, _OF_ENROLLMENT, "enrollment_id", enrollments):
        found[(row.entity, row.row_id)] = row
    # Their parents (projects, classes, sending schools, enrollments), until nothing new turns up.
    frontier = list(found.values())
    while frontier:
        wanted: set[tuple[str, str]] = set()
        for row in frontier:
            payload = json.loads(row.payload)
            for column, target in REFERENCES.get(row.entity, {}).items():
                value = payload.get(column)
                if target != "teacher" and isinstance(value, str) and (target, value) not in found:
                    wanted.add((target, value))
        frontier = []
        for entity, row_id in sorted(wanted):
            row = session.get(SyncedRow, (entity, row_id))
            if row is not None and row.county_code == county_code:
                found[(entity, row_id)] = row
                frontier.append(row)
    return list(found.values())


# --- the county's view -----------------------------------------------------------------------------


def county_transfers(engine: Engine, county_code: str) -> TransferPage:
    """The county's requests (its own rows) and the requests for its teachers (its own rows, and which
    county asks): nothing of the other county's data."""
    with Session(engine.execution_options(readonly=True)) as session, session.begin():
        counties = dict(session.execute(select(County.code, County.name)).all())
        names = county_names(session, county_code)
        notes: list[TransferNote] = []
        for request in session.scalars(
            select(TransferRequest)
            .where(or_(TransferRequest.to_county == county_code, TransferRequest.from_county == county_code))
            .order_by(TransferRequest.id)
        ):
            incoming = request.to_county == county_code
            if incoming:
                row_id, name, other = (
                    names.get(request.requested_row_id, request.requested_row_id),
                    json.loads(request.payload).get("name", ""),
                    "",
                )
            else:
                holder = session.get(SyncedRow, ("teacher", request.from_row_id))
                row_id = names.get(request.from_row_id, request.from_row_id)
                name = json.loads(holder.payload).get("name", "") if holder is not None else ""
                other = f"{request.to_county} {counties.get(request.to_county, '')}".strip()
            notes.append(
                TransferNote(
                    id=request.id,
                    direction="in" if incoming else "out",
                    row_id=row_id,
                    name=str(name),
                    other_county=other,
                    status=request.status,
                    reason=request.reason,
                    created_at=request.created_at.isoformat(timespec="seconds"),
                    decided_at=request.decided_at.isoformat(timespec="seconds")
                    if request.decided_at
                    else None,
                )
            )
    return TransferPage(transfers=notes)
