"""A real TCP proxy on a loopback port that behaves like a poor rural link between the sync client and
the server: it can drop a response the server already sent, cut a request mid-body, hold a request
forever, trickle bytes, and shape the link (rate, one-way delay, loss).

It understands just enough HTTP/1.1 (request and response heads, Content-Length bodies, keep-alive
connections carrying one request at a time) to aim a fault at one request of a given path. The shaped
link is the client side; the proxy talks to the server at full loopback speed.

Loss: this kernel has no netem (and tests must not need root), so a lost packet is emulated by what TCP
makes of it, a retransmission stall: each chunk (~1 KB, about one packet) has a `loss` chance to wait
a retransmission timeout (300–1000 ms) before it moves on. Bytes are never corrupted or reordered,
because TCP would not let the application see that either.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

FaultKind = Literal["drop_response", "cut_request", "stall"]


@dataclass
class Fault:
    """One misfortune for the next `times` requests whose path starts with `path`.

    drop_response: the server gets the whole request and answers (so it has committed), the client
        sees its connection cut instead of the answer.
    cut_request: the connection is cut after `after_bytes` bytes of the request body reached the server.
    stall: the request reaches the server, the answer never reaches the client (no byte moves until
        the client gives up).
    """

    kind: FaultKind
    path: str = "/v1/push"
    times: int = 1
    after_bytes: int = 0


@dataclass(frozen=True)
class Shaping:
    rate_bps: float | None = None  # each way; None: as fast as loopback
    delay_s: float = 0.0  # one way
    loss: float = 0.0  # chance per chunk of a retransmission stall
    stall_s: tuple[float, float] = (0.3, 1.0)  # about one RTO
    chunk: int = 1024  # bytes moved at a time: about one packet
    seed: int = 7


def trickle(bytes_per_tick: int = 500, tick_s: float = 0.1) -> Shaping:
    """A link that keeps moving a few hundred bytes every tick: slow, but never silent for long."""
    return Shaping(rate_bps=bytes_per_tick * 8 / tick_s, chunk=bytes_per_tick)


@dataclass
class Stats:
    up: int = 0  # bytes client → server, heads included
    down: int = 0  # bytes server → client, heads included
    requests: int = 0
    connections: int = 0
    paused_s: float = 0.0  # time the shaping made the link wait (intended, not measured)
    fired: list[tuple[FaultKind, str]] = field(default_factory=list)


class _Closed(Exception):
    """The other end closed its connection."""


class LinkProxy:
    def __init__(self, upstream: str, shaping: Shaping | None = None) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.shaping = shaping or Shaping()
        self.stats = Stats()
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = random.Random(self.shaping.seed)
        self._sockets: set[socket.socket] = set()
        self._listener = socket.socket()
        # A small receive buffer so that a slow link pushes back on the sender, as a real one does,
        # instead of loopback buffers swallowing a whole batch at once.
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in list(self._sockets):
                _close(sock)

    def __enter__(self) -> LinkProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Connections

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self._sockets.add(client)
            self.stats.connections += 1
        try:
            self._pause(2 * self.shaping.delay_s)  # the TCP handshake costs one round trip
            buffered = b""
            while True:
                head, buffered = _read_head(client, buffered)
                if not head:
                    return
                # A server connection per request: the server's keep-alive timeout (uvicorn: 5 s) would
                # otherwise close it while a slow link is still carrying the previous answer, which a
                # real server, seeing the next request begin, would not do.
                upstream = socket.create_connection(self.upstream)
                with self._lock:
                    self._sockets.add(upstream)
                try:
                    if not self._exchange(client, upstream, head, buffered):
                        return
                finally:
                    with self._lock:
                        self._sockets.discard(upstream)
                    _close(upstream)
                buffered = b""  # one request at a time: the client sends nothing before the answer
        except (_Closed, OSError):
            return
        finally:
            with self._lock:
                self._sockets.discard(client)
            _close(client)

    def _exchange(self, client: socket.socket, upstream: socket.socket, head: bytes, body: bytes) -> bool:
        """Carry one request and its answer; False when the connection must end."""
        path = head.split(b" ", 2)[1].decode("latin-1")
        length = _content_length(head)
        fault = self._take(path)
        with self._lock:
            self.stats.requests += 1
        # Upload over the shaped link: the head, then the body in chunks, paced as they arrive.
        self._pause(self.shaping.delay_s)
        self._paced(len(head), "up")
        upstream.sendall(head)
        sent = 0
        while sent < length:
            if not body:
                body = client.recv(min(self.shaping.chunk, length - sent))
                if not body:
                    raise _Closed
            piece, body = body[: length - sent], b""
            if fault is not None and fault.kind == "cut_request" and sent + len(piece) >= fault.after_bytes:
                upstream.sendall(piece[: fault.after_bytes - sent])
                return False  # closes the server side first, then the client's
            self._paced(len(piece), "up")
            upstream.sendall(piece)
            sent += len(piece)
        # The answer, read whole from the server (loopback), then sent over the shaped link.
        answer_head, rest = _read_head(upstream, b"")
        if not answer_head:
            raise _Closed
        answer_length = _content_length(answer_head)
        answer = rest + _read_exactly(upstream, answer_length - len(rest))
        if fault is not None and fault.kind == "drop_response":
            return False
        if fault is not None and fault.kind == "stall":
            while client.recv(4096):  # until the client gives up and closes
                pass
            return False
        self._pause(self.shaping.delay_s)
        data = answer_head + answer
        for start in range(0, len(data), self.shaping.chunk):
            piece = data[start : start + self.shaping.chunk]
            self._paced(len(piece), "down")
            client.sendall(piece)
        return b"connection: close" not in answer_head.lower()

    def _take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path) and fault.times > 0:
                    fault.times -= 1
                    self.stats.fired.append((fault.kind, path))
                    return fault
        return None

    # Shaping

    def _paced(self, size: int, direction: Literal["up", "down"]) -> None:
        """Count `size` bytes and wait as long as the shaped link takes to carry them."""
        shaping = self.shaping
        wait = size * 8 / shaping.rate_bps if shaping.rate_bps else 0.0
        with self._lock:
            if direction == "up":
                self.stats.up += size
            else:
                self.stats.down += size
            for _ in range(max(1, -(-size // shaping.chunk))):
                if shaping.loss and self._rng.random() < shaping.loss:
                    wait += self._rng.uniform(*shaping.stall_s)
        self._pause(wait)

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self.stats.paused_s += seconds
            time.sleep(seconds)


def _read_head(sock: socket.socket, buffered: bytes) -> tuple[bytes, bytes]:
    """An HTTP head (up to the blank line) and whatever arrived after it; (b"", b"") at a clean close."""
    while b"\r\n\r\n" not in buffered:
        data = sock.recv(4096)
        if not data:
            if buffered:
                raise _Closed
            return b"", b""
        buffered += data
    end = buffered.index(b"\r\n\r\n") + 4
    return buffered[:end], buffered[end:]


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
        if name.strip().lower() == b"transfer-encoding":
            raise ValueError("chunked bodies are not supported by this proxy")
    return 0


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        data = sock.recv(min(size, 65536))
        if not data:
            raise _Closed
        chunks.append(data)
        size -= len(data)
    return b"".join(chunks)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
