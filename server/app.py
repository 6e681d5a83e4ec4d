"""The provincial server's HTTP API: register a device, push a batch of ops, pull the change feed.

The county is always the one the device token belongs to; nothing in a request body can name another.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as InPath
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from guopei_common.digest import MAX_DIGEST_EXCLUDED, DigestRequest, DigestResponse
from guopei_common.errors import GuopeiError
from guopei_common.protocol import (
    DEFAULT_PULL_LIMIT,
    MAX_COMPRESSED_BYTES,
    MAX_PULL_LIMIT,
    MAX_SEQ,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    AppReleaseResponse,
    BadPayload,
    ConflictPage,
    DeviceNumberResponse,
    DeviceResponse,
    KeysResponse,
    PayloadTooLarge,
    PolicyResponse,
    PolicyRulesResponse,
    PushBatch,
    RegisterRequest,
    RegisterResponse,
    TransferPage,
    compact_response,
    expand_batch,
    gzip_decode,
)
from server.conflicts import conflicts_since
from server.db import create_server_engine
from server.device_numbers import device_number
from server.errors import RegistrationRefused, http_status
from server.fact_check import verify_by_facts
from server.feed import CURSOR_EXPIRED, HORIZON_HEADER, county_digest, current_horizon, cursor_expired
from server.policy_rules import rules_for
from server.province import policy_for, public_keys
from server.proxy import Network, client_address, trusted_networks
from server.ratelimit import (
    CHECK_LIMITS,
    CHECKS_LIMITED,
    DATABASE_BUSY,
    FACT_LIMITS,
    RATE_LIMITED,
    Limit,
    blocked,
    busy_retry_after,
    record_attempt,
)
from server.releases import latest_release
from server.service import Caller, SyncService
from server.transfers import county_transfers
from server.verification import PublicVerdict, verification_page, verify_scanned, verify_serial

MAX_REGISTER_BYTES = 16 * 1024
MAX_DIGEST_BYTES = 2 * 1024 * 1024  # MAX_DIGEST_EXCLUDED ids of 36 characters and then some
# On every answer. The HTML pages (/verify) load nothing, run no script and may not be framed (a check
# page inside someone else's frame could be dressed up as anything); the URL holds a check code, so it
# is not sent on as a referrer.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


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


def create_app(db: str | Path, *, trusted_proxies: tuple[Network, ...] | None = None) -> FastAPI:
    """The app on `db`: a SQLAlchemy URL or a SQLite file path (see server.db.database_url).
    `trusted_proxies`: the reverse proxies whose X-Forwarded-For is believed (server.proxy; by default
    the setting GUOPEI_SERVER_TRUSTED_PROXIES, none when unset)."""
    engine = create_server_engine(db)
    service = SyncService(engine)
    proxies = trusted_networks() if trusted_proxies is None else trusted_proxies
    app = FastAPI(title="Guopei sync server", version=PROTOCOL_VERSION, docs_url=None, redoc_url=None)
    app.state.service = service

    def address_of(request: Request) -> str:
        peer = request.client.host if request.client else ""
        return client_address(peer, request.headers.get("x-forwarded-for"), proxies)

    async def checked(
        request: Request, check: Callable[[], PublicVerdict], limits: tuple[Limit, ...] = CHECK_LIMITS
    ) -> PublicVerdict:
        """A public check, counted against the caller's address, refused (429) past the limit."""
        address = address_of(request)
        wait = await run_in_threadpool(blocked, engine, address, limits)
        if wait is not None:
            raise HTTPException(429, CHECKS_LIMITED, headers={"Retry-After": str(wait)})
        await run_in_threadpool(record_attempt, engine, address, limits)
        return await run_in_threadpool(check)

    async def check_certificate(
        request: Request, serial: str, code: str, name: str, issued_on: str
    ) -> PublicVerdict:
        """By check code; without one, by the holder's name and the issue date (unsigned certificates)."""
        if not code.strip() and (name.strip() or issued_on.strip()):
            return await checked(
                request, lambda: verify_by_facts(engine, serial, name, issued_on), FACT_LIMITS
            )
        return await checked(request, lambda: verify_serial(engine, serial, code))

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
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, _error: Exception) -> Response:
        # Runs outside the middleware above, so it sets the headers itself.
        return JSONResponse(
            {"detail": "服务器内部错误"},
            status_code=500,
            headers={PROTOCOL_HEADER: PROTOCOL_VERSION, **SECURITY_HEADERS},
        )

    @app.exception_handler(GuopeiError)
    async def refused(_request: Request, error: GuopeiError) -> Response:
        # What a service refused, by its type (server.errors.HTTP_STATUS); its message says why.
        return JSONResponse(
            {"detail": str(error)},
            status_code=http_status(error),
            headers={PROTOCOL_HEADER: PROTOCOL_VERSION, **SECURITY_HEADERS},
        )

    @app.exception_handler(BadPayload)
    async def bad_payload(_request: Request, error: BadPayload) -> Response:
        # A body that is not gzip or JSON, or JSON nested past what a parser will follow: the client's
        # fault (400), never the server's.
        return JSONResponse(
            {"detail": f"请求体格式错误：{error}"},
            status_code=400,
            headers={PROTOCOL_HEADER: PROTOCOL_VERSION, **SECURITY_HEADERS},
        )

    @app.exception_handler(DBAPIError)
    async def database_busy(request: Request, error: DBAPIError) -> Response:
        # A lock wait that ran out (SQLite's write lock, PostgreSQL's lock_timeout) or a serialization
        # failure: the request can simply be made again later, so say when instead of answering 500.
        wait = busy_retry_after(error)
        if wait is None:
            raise error  # a real failure: the 500 handler above answers it
        return JSONResponse(
            {"detail": DATABASE_BUSY},
            status_code=503,
            headers={"Retry-After": str(wait), PROTOCOL_HEADER: PROTOCOL_VERSION},
        )

    @app.get("/v1/certificates/{serial}")
    async def certificate(
        request: Request,
        serial: Annotated[str, InPath(max_length=40)],
        code: Annotated[str, Query(max_length=20, description="核验码, printed beside the serial")] = "",
        name: Annotated[str, Query(max_length=50, description="holder's full name (no check code)")] = "",
        issued_on: Annotated[str, Query(max_length=30, description="issue date (no check code)")] = "",
    ) -> dict[str, str]:
        """Public: anyone holding a certificate may check it by its serial and check code, or, for one
        printed before signing (no code), by its serial, the holder's full name and the issue date."""
        return (await check_certificate(request, serial, code, name, issued_on)).as_dict()

    @app.get("/verify", response_class=HTMLResponse)
    async def verify_page(
        request: Request,
        serial: Annotated[str, Query(max_length=40)] = "",
        code: Annotated[str, Query(max_length=20)] = "",
        qr: Annotated[str, Query(max_length=2000, description="a scanned certificate QR text")] = "",
        name: Annotated[str, Query(max_length=50)] = "",
        issued_on: Annotated[str, Query(max_length=30)] = "",
    ) -> str:
        if qr.strip():
            return verification_page(await checked(request, lambda: verify_scanned(engine, qr)))
        if serial.strip():
            return verification_page(await check_certificate(request, serial, code, name, issued_on))
        return verification_page(None)

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
        # Keyed on the address (behind a trusted proxy, what it saw), never on the county in the body.
        address = address_of(request)
        wait = await run_in_threadpool(blocked, engine, address)
        if wait is not None:
            raise HTTPException(429, RATE_LIMITED, headers={"Retry-After": str(wait)})
        try:
            return await run_in_threadpool(service.register, parsed)
        except RegistrationRefused:  # a wrong, used or expired code, or another county's
            await run_in_threadpool(record_attempt, engine, address)
            raise

    @app.get("/v1/device")
    def device(caller: CurrentDevice) -> DeviceResponse:
        """The calling device's own id and county (a PC rebuilding a lost database needs them)."""
        return service.device(caller)

    @app.get("/v1/device-number")
    def number(caller: CurrentDevice) -> DeviceNumberResponse:
        """The calling device's number within its county, which its certificate serials carry."""
        return DeviceNumberResponse(number=device_number(engine, caller.id))

    @app.post("/v1/push")
    async def push(request: Request, device: CurrentDevice) -> Response:
        if request.headers.get("content-encoding", "").lower() != "gzip":
            raise HTTPException(400, "推送的请求体必须 gzip 压缩")
        body = await _read_body(request, MAX_COMPRESSED_BYTES)
        try:
            decoded = gzip_decode(body)
            # The compact form (what the client sends) or a plain PushBatch: same batch either way.
            compact = isinstance(decoded, dict) and "runs" in decoded
            batch = expand_batch(decoded) if compact else PushBatch.model_validate(decoded)
        except PayloadTooLarge as error:
            raise HTTPException(413, str(error)) from None
        except BadPayload as error:
            raise HTTPException(400, str(error)) from None
        except ValidationError as error:
            raise HTTPException(400, f"批次格式错误：{error.errors()[:3]}") from None
        except ValueError as error:
            raise HTTPException(400, f"批次格式错误：{error}") from None
        if batch.device_id != device.id:
            raise HTTPException(403, "批次的设备与令牌不符")
        result = await run_in_threadpool(service.push, device, batch)
        answer = json.dumps(compact_response(result)) if compact else result.model_dump_json()
        if "gzip" in request.headers.get("accept-encoding", "").lower():
            return Response(
                gzip.compress(answer.encode(), 6),
                media_type="application/json",
                headers={"Content-Encoding": "gzip"},
            )
        return Response(answer, media_type="application/json")

    @app.get("/v1/keys")
    def keys(_device: CurrentDevice) -> KeysResponse:
        """Every county's certificate-signing public keys (public keys; any registered device may have
        them all, so a certificate from the neighbouring county verifies offline)."""
        return public_keys(engine)

    @app.get("/v1/policy")
    def policy(device: CurrentDevice) -> PolicyResponse:
        """The province's policy switches for the caller's county."""
        return policy_for(engine, device.county_code)

    @app.get("/v1/policy/rules")
    def policy_rules(device: CurrentDevice) -> PolicyRulesResponse:
        """The province's level limits, credit rule versions and training cycle for the caller's county."""
        return rules_for(engine, device.county_code)

    @app.get("/v1/app-version")
    def app_version(_device: CurrentDevice) -> AppReleaseResponse:
        """The desktop version the province published last, with its notes (none: version is null)."""
        return latest_release(engine)

    @app.get("/v1/transfers")
    def transfers(device: CurrentDevice) -> TransferPage:
        """Teacher transfers (调动申请) this county asked for, and those for its teachers: its own rows."""
        return county_transfers(engine, device.county_code)

    @app.get("/v1/conflicts")
    def conflicts(
        device: CurrentDevice,
        after: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    ) -> ConflictPage:
        """The county's entries of the province's conflict log after `after`: values that lost a merge."""
        return conflicts_since(engine, device.county_code, after, limit)

    @app.get("/v1/pull")
    def pull(
        request: Request,
        device: CurrentDevice,
        cursor: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
        horizon: Annotated[
            int, Query(ge=0, le=MAX_SEQ, description="the purge horizon the client accounts for")
        ] = 0,
        own: Annotated[bool, Query(description="include the device's own changes")] = True,
        remaining: Annotated[bool, Query(description="say how many changes follow the page")] = False,
    ) -> Response:
        # Reported to the client before the rows are read, so that it never claims a purge this page
        # could have missed; checked again after them (see server.feed.cursor_expired).
        before = current_horizon(engine, device.county_code)
        page = service.pull(device, cursor, limit, own=own, remaining=remaining)
        if cursor_expired(cursor, horizon, after := current_horizon(engine, device.county_code)):
            return JSONResponse(
                {
                    "detail": f"本机的同步进度（{cursor}）早于服务器清理已删除记录的位置（{after}），"
                    "需重新下载全部数据",
                    "code": CURSOR_EXPIRED,
                    "horizon": after,
                },
                status_code=410,
            )
        # Without the field unless asked: clients from before it refuse unknown fields.
        body = page.model_dump_json(exclude=None if remaining else {"remaining"}).encode("utf-8")
        headers = {HORIZON_HEADER: str(before)}
        if "gzip" in request.headers.get("accept-encoding", "").lower():
            # Pages are mostly repeated keys and ids: gzip shrinks them several times over.
            headers["Content-Encoding"] = "gzip"
            return Response(gzip.compress(body, 6), media_type="application/json", headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    @app.post("/v1/digest")
    async def digest(request: Request, device: CurrentDevice) -> DigestResponse:
        """Count and hash of the county's live rows per entity, for the client's divergence check."""
        body = await _read_body(request, MAX_DIGEST_BYTES)
        try:
            parsed = DigestRequest.model_validate_json(body or b"{}")
        except ValidationError as error:
            raise HTTPException(400, f"校验请求格式错误：{error.error_count()} 处") from None
        if sum(len(ids) for ids in parsed.exclude.values()) > MAX_DIGEST_EXCLUDED:
            raise HTTPException(413, f"排除的记录超过 {MAX_DIGEST_EXCLUDED} 条")
        return await run_in_threadpool(county_digest, engine, device.county_code, parsed.exclude)

    return app


__all__ = ["create_app"]
