"""Raw HTTP/1.1 answers, good and broken, written straight to the socket.

``http.server`` cannot lie about Content-Length, cut a body or send a bad chunk; these can.
Every answer closes the connection afterwards (``Connection: close``), so one broken answer
never poisons the next request.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    host: str
    headers: dict[str, str]


# A handler writes one answer for one request and returns the status it sent (0: none).
Handler = Callable[[Request, socket.socket], int]


def head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    lines += [f"{k}: {v}" for k, v in {**headers, "Connection": "close"}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send(sock: socket.socket, status: int, body: bytes, ctype: str, **extra: str) -> int:
    headers = {"Content-Type": ctype, "Content-Length": str(len(body))}
    headers.update({k.replace("_", "-"): v for k, v in extra.items()})
    sock.sendall(head(status, headers) + body)
    return status


def ok(body: bytes, ctype: str = "text/html; charset=utf-8", **extra: str) -> Handler:
    return lambda _req, sock: send(sock, 200, body, ctype, **extra)


def error(status: int, **extra: str) -> Handler:
    body = f"<html><body><h1>{status}</h1></body></html>".encode()
    return lambda _req, sock: send(sock, status, body, "text/html; charset=utf-8", **extra)


def redirect(location: str, status: int = 301) -> Handler:
    return lambda _req, sock: send(sock, status, b"", "text/html", Location=location)


def sleep_then(seconds: float, then: Handler) -> Handler:
    """Say nothing for ``seconds`` (beyond the crawler's timeout), then answer."""

    def handler(req: Request, sock: socket.socket) -> int:
        time.sleep(seconds)
        return then(req, sock)

    return handler


def drip(body: bytes, seconds: float, pieces: int = 20) -> Handler:
    """Headers at once, then the body a little at a time over ``seconds``."""

    def handler(_req: Request, sock: socket.socket) -> int:
        sock.sendall(head(200, {"Content-Type": "text/html", "Content-Length": str(len(body))}))
        step = max(1, len(body) // pieces)
        for i in range(0, len(body), step):
            time.sleep(seconds / pieces)
            sock.sendall(body[i : i + step])
        return 200

    return handler


def truncated(body: bytes, declared: int, *, reset: bool = False) -> Handler:
    """Announce ``declared`` bytes, send ``body`` (shorter), then close: FIN, or RST."""

    def handler(_req: Request, sock: socket.socket) -> int:
        sock.sendall(head(200, {"Content-Type": "text/html", "Content-Length": str(declared)}))
        sock.sendall(body)
        if reset:
            # SO_LINGER with a zero timeout makes close() send RST: a dropped connection.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return 200

    return handler


def broken_chunked(first: bytes) -> Handler:
    """A valid first chunk, then a chunk-size line that is not hexadecimal."""

    def handler(_req: Request, sock: socket.socket) -> int:
        sock.sendall(head(200, {"Content-Type": "text/html", "Transfer-Encoding": "chunked"}))
        sock.sendall(f"{len(first):x}\r\n".encode() + first + b"\r\n")
        sock.sendall(b"zz-not-hex\r\ngarbage\r\n0\r\n\r\n")
        return 200

    return handler


def huge(size: int, *, chunked: bool) -> Handler:
    """``size`` bytes of HTML, with a Content-Length or streamed chunked without one."""
    piece = b"<p>" + b"filler text " * 5000 + b"</p>\n"

    def parts() -> Iterable[bytes]:
        yield b"<!DOCTYPE html><html><head><title>Huge</title></head><body>"
        sent = 0
        while sent < size:
            yield piece
            sent += len(piece)

    def handler(_req: Request, sock: socket.socket) -> int:
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        else:
            headers["Content-Length"] = str(size)
        sock.sendall(head(200, headers))
        sent = 0
        try:
            for p in parts():
                if not chunked:
                    p = p[: size - sent]
                    if not p:
                        break
                sock.sendall(f"{len(p):x}\r\n".encode() + p + b"\r\n" if chunked else p)
                sent += len(p)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the crawler hung up once it hit its size cap: the expected outcome
        return 200

    return handler


def first_then(first: Handler, then: Handler, counter: Callable[[str], int]) -> Handler:
    """``first`` on the first request for the path, ``then`` on every later one."""
    return lambda req, sock: (first if counter(req.path) <= 1 else then)(req, sock)
