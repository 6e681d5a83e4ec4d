"""The provincial server's HTTP API: register a device, push a batch of ops, pull the change feed.

The county is always the one the device token belongs to; nothing in a request body can name another.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from desktop.sync.protocol import (
    DEFAULT_PULL_LIMIT,
    ENTITIES,
    MAX_COMPRESSED_BYTES,
    MAX_PULL_LIMIT,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    BadPayload,
    Change,
    OpResult,
    PayloadTooLarge,
    PullPage,
    PushBatch,
    PushOp,
    PushResponse,
    RegisterRequest,
    RegisterResponse,
    gzip_decode,
    payload_hash,
)
from server.db import (
    AppliedOp,
    ChangeCounter,
    County,
    Device,
    RegistrationCode,
    SyncedRow,
    create_server_engine,
    secret_hash,
)
from server.verification import verification_page, verify_serial

MAX_REGISTER_BYTES = 16 * 1024


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit`.

    Content-Length is checked first so an honest oversized upload is refused before it is read; the
    running count covers chunked uploads, which carry no length."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"请求体超过 {limit} 字节")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"请求体超过 {limit} 字节")
        chunks.append(chunk)
    return b"".join(chunks)


def _conflict_row(row: SyncedRow) -> dict[str, Any]:
    return json.loads(row.payload)


@dataclass(frozen=True)
class Caller:
    """The authenticated device: a plain value, safe to use after its database session has closed."""

    id: str
    county_code: str


class SyncService:
    """The server's logic without HTTP, so that it can be read (and tested) as plain functions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def authenticate(self, token: str) -> Caller | None:
        with Session(self.engine.execution_options(readonly=True)) as session, session.begin():
            device = session.scalar(select(Device).where(Device.token_hash == secret_hash(token)))
            if device is None or device.revoked:
                return None
            return Caller(device.id, device.county_code)

    def register(self, request: RegisterRequest) -> RegisterResponse:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with Session(self.engine) as session, session.begin():
            code = session.get(RegistrationCode, secret_hash(request.code.strip().upper()))
            if code is None or code.used_at is not None or code.expires_at < now:
                raise HTTPException(403, "注册码无效、已使用或已过期")
            if code.county_code != request.county_code:
                # The local database belongs to another county: registering it would mix two counties.
                raise HTTPException(403, "注册码属于其他区县")
            if session.get(Device, request.device_id) is not None:
                raise HTTPException(409, "该设备已注册")
            token = secrets.token_urlsafe(32)
            code.used_at = now
            code.used_by = request.device_id
            session.add(
                Device(
                    id=request.device_id,
                    county_code=code.county_code,
                    token_hash=secret_hash(token),
                    registered_at=now,
                )
            )
            county = session.get_one(County, code.county_code)
            return RegisterResponse(device_token=token, county_code=county.code, county_name=county.name)

    def push(self, device: Caller, batch: PushBatch) -> PushResponse:
        """Apply a whole batch in one transaction: either every op's result is stored, or none is."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with Session(self.engine, autoflush=False) as session, session.begin():
            counter = session.get_one(ChangeCounter, 1)
            seq = counter.value
            op_ids = [op.op_id for op in batch.ops]
            known = {
                op.op_id: op for op in session.scalars(select(AppliedOp).where(AppliedOp.op_id.in_(op_ids)))
            }
            row_ids = {op.row_id for op in batch.ops}
            rows = {
                (row.entity, row.row_id): row
                for row in session.scalars(select(SyncedRow).where(SyncedRow.row_id.in_(row_ids)))
            }
            results: list[OpResult] = []
            for op in batch.ops:
                previous = known.get(op.op_id)
                if previous is not None:
                    results.append(self._repeat(op, previous))
                    continue
                result, seq = self._apply(op, device, rows, seq, session)
                results.append(result)
                known[op.op_id] = AppliedOp(
                    op_id=op.op_id,
                    device_id=device.id,
                    batch_id=batch.batch_id,
                    payload_hash=op.payload_hash,
                    result=result.model_dump_json(),
                    received_at=now,
                )
                session.add(known[op.op_id])
            counter.value = seq
        return PushResponse(batch_id=batch.batch_id, results=results, server_seq=seq)

    @staticmethod
    def _repeat(op: PushOp, previous: AppliedOp) -> OpResult:
        if previous.payload_hash != op.payload_hash:
            # Reusing an op id for different content is a client bug; applying it would break the
            # promise that an op id names one change.
            return OpResult(op_id=op.op_id, outcome="rejected", reason="op_id 已用于不同的内容")
        stored = OpResult.model_validate_json(previous.result)
        return OpResult(
            op_id=op.op_id,
            outcome="duplicate",
            reason=stored.reason,
            server_row=stored.server_row,
            first_outcome=stored.outcome,
        )

    @staticmethod
    def _apply(
        op: PushOp,
        device: Caller,
        rows: dict[tuple[str, str], SyncedRow],
        seq: int,
        session: Session,
    ) -> tuple[OpResult, int]:
        def reject(reason: str) -> tuple[OpResult, int]:
            return OpResult(op_id=op.op_id, outcome="rejected", reason=reason), seq

        if payload_hash(op.payload) != op.payload_hash:
            return reject("payload_hash 与内容不符")
        if op.entity not in ENTITIES:
            return reject(f"未知的实体：{op.entity}")
        payload = op.payload
        if payload.get("id") != op.row_id or payload.get("hlc") != op.hlc:
            return reject("payload 的 id/hlc 与操作不符")
        if payload.get("origin") != device.id:
            # A device pushes only its own changes (pulled rows never enter its outbox).
            return reject("payload 的 origin 不是本设备")
        row = rows.get((op.entity, op.row_id))
        if row is not None and row.county_code != device.county_code:
            return reject("该记录属于其他区县")
        if row is not None and row.hlc > op.hlc:
            # Last writer by HLC wins; the fixed-width text form compares like the stamp itself.
            return (
                OpResult(
                    op_id=op.op_id,
                    outcome="conflict",
                    reason="服务器上有更新的版本",
                    server_row=_conflict_row(row),
                ),
                seq,
            )
        if row is not None and row.hlc == op.hlc:
            # The same version already arrived under another op id: nothing changes, nothing to pull.
            return OpResult(op_id=op.op_id, outcome="applied", reason="same version"), seq
        seq += 1
        values = {
            "county_code": device.county_code,
            "hlc": op.hlc,
            "origin": device.id,
            "payload": _json(payload),
            "deleted": bool(payload.get("deleted", False)),
            "seq": seq,
        }
        if row is None:
            row = SyncedRow(entity=op.entity, row_id=op.row_id, **values)
            session.add(row)
            rows[(op.entity, op.row_id)] = row
        else:
            for key, value in values.items():
                setattr(row, key, value)
        return OpResult(op_id=op.op_id, outcome="applied"), seq

    def pull(self, device: Caller, cursor: int, limit: int) -> PullPage:
        readonly = self.engine.execution_options(readonly=True)
        # Rows are read after the session ends: they must not expire at its commit.
        with Session(readonly, expire_on_commit=False) as session, session.begin():
            found = list(
                session.scalars(
                    select(SyncedRow)
                    .where(SyncedRow.county_code == device.county_code, SyncedRow.seq > cursor)
                    .order_by(SyncedRow.seq)
                    .limit(limit + 1)  # one more than asked tells whether another page follows
                )
            )
        page = found[:limit]
        changes = [
            Change(
                seq=row.seq,
                entity=row.entity,
                row_id=row.row_id,
                hlc=row.hlc,
                origin=row.origin,
                deleted=row.deleted,
                payload=json.loads(row.payload),
            )
            for row in page
        ]
        return PullPage(
            changes=changes, next_cursor=page[-1].seq if page else cursor, has_more=len(found) > limit
        )


def current_device(request: Request) -> Caller:
    """The device named by the bearer token; its county is the only county the request may touch."""
    service: SyncService = request.app.state.service
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    device = service.authenticate(token.strip()) if scheme.lower() == "bearer" and token else None
    if device is None:
        raise HTTPException(401, "设备未注册或令牌无效", headers={"WWW-Authenticate": "Bearer"})
    return device


# A module-level alias: FastAPI resolves these (string) annotations in the module's namespace.
CurrentDevice = Annotated[Caller, Depends(current_device)]


def create_app(db_path: Path) -> FastAPI:
    engine = create_server_engine(db_path)
    service = SyncService(engine)
    app = FastAPI(title="Guopei sync server", version=PROTOCOL_VERSION, docs_url=None, redoc_url=None)
    app.state.service = service

    @app.middleware("http")
    async def protocol_header(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        sent = request.headers.get(PROTOCOL_HEADER)
        if sent is not None and sent != PROTOCOL_VERSION:
            response: Response = JSONResponse(
                {"detail": f"协议版本不兼容：客户端 {sent}，服务器 {PROTOCOL_VERSION}"}, status_code=426
            )
        else:
            response = await call_next(request)
        # On every answer, errors included: its absence is how a client recognises a captive portal.
        response.headers[PROTOCOL_HEADER] = PROTOCOL_VERSION
        return response

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, _error: Exception) -> Response:
        # Runs outside the middleware above, so it sets the header itself.
        return JSONResponse(
            {"detail": "服务器内部错误"}, status_code=500, headers={PROTOCOL_HEADER: PROTOCOL_VERSION}
        )

    @app.get("/v1/certificates/{serial}")
    def certificate(serial: str) -> dict[str, str]:
        """Public: anyone holding a certificate may check its serial."""
        return verify_serial(engine, serial).as_dict()

    @app.get("/verify", response_class=HTMLResponse)
    def verify_page(serial: str = "") -> str:
        return verification_page(verify_serial(engine, serial) if serial.strip() else None)

    @app.get("/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "protocol": PROTOCOL_VERSION}

    @app.post("/v1/register")
    async def register(request: Request) -> RegisterResponse:
        body = await _read_body(request, MAX_REGISTER_BYTES)
        try:
            parsed = RegisterRequest.model_validate_json(body)
        except ValidationError as error:
            raise HTTPException(400, f"注册请求格式错误：{error.error_count()} 处") from None
        return await run_in_threadpool(service.register, parsed)

    @app.post("/v1/push")
    async def push(request: Request, device: CurrentDevice) -> Response:
        if request.headers.get("content-encoding", "").lower() != "gzip":
            raise HTTPException(400, "推送的请求体必须 gzip 压缩")
        body = await _read_body(request, MAX_COMPRESSED_BYTES)
        try:
            batch = PushBatch.model_validate(gzip_decode(body))
        except PayloadTooLarge as error:
            raise HTTPException(413, str(error)) from None
        except BadPayload as error:
            raise HTTPException(400, str(error)) from None
        except ValidationError as error:
            raise HTTPException(400, f"批次格式错误：{error.errors()[:3]}") from None
        if batch.device_id != device.id:
            raise HTTPException(403, "批次的设备与令牌不符")
        result = await run_in_threadpool(service.push, device, batch)
        return Response(result.model_dump_json(), media_type="application/json")

    @app.get("/v1/pull")
    def pull(
        request: Request,
        device: CurrentDevice,
        cursor: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
    ) -> Response:
        page = service.pull(device, cursor, limit)
        body = page.model_dump_json().encode("utf-8")
        if "gzip" in request.headers.get("accept-encoding", "").lower():
            # Pages are mostly repeated keys and ids: gzip shrinks them several times over.
            return Response(
                gzip.compress(body, 6), media_type="application/json", headers={"Content-Encoding": "gzip"}
            )
        return Response(body, media_type="application/json")

    return app


# Administration, used by server.cli (kept here so the CLI stays a thin argument parser).


def add_county(engine: Engine, code: str, name: str) -> None:
    with Session(engine) as session, session.begin():
        session.merge(County(code=code, name=name))


# No 0/O/1/I: codes are read aloud on the phone and typed by hand.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def issue_code(engine: Engine, county_code: str, *, valid_days: int = 7) -> str:
    """A new one-time registration code for `county_code` (shown once; only its hash is stored)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with Session(engine) as session, session.begin():
        if session.get(County, county_code) is None:
            raise LookupError(f"未知的区县代码：{county_code}")
        session.add(
            RegistrationCode(
                code_hash=secret_hash(code),
                county_code=county_code,
                expires_at=now + dt.timedelta(days=valid_days),
            )
        )
    return code


def revoke_device(engine: Engine, device_id: str) -> bool:
    with Session(engine) as session, session.begin():
        return session.execute(update(Device).where(Device.id == device_id).values(revoked=True)).rowcount > 0


__all__ = ["SyncService", "add_county", "create_app", "issue_code", "revoke_device"]
