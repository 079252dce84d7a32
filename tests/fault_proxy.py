"""An HTTP proxy in front of the emulator that breaks answers on their way back.

Requests reach the emulator unchanged (AWS really processes them: codes are
spent, sessions issued), and the answer the client gets is damaged the way
networks, proxies and captive portals damage answers. Because the damaged
answers are built from real ones, they carry the credentials the emulator
issued, so a test can check that none of them leaks into what the user sees.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

# What can go wrong with an answer, each a real failure mode:
FAULTS = {
    "truncated": "the body cut in half, with a Content-Length that matches the cut body",
    "cut": "half the body, then the connection closes before the announced length",
    "garbage": "200 with random bytes",
    "html": "200 with a captive portal's HTML page",
    "xhtml": "200 with a captive portal's page in well-formed XHTML (an XML parser takes it)",
    "empty": "200 with no body",
    "text500": "500 with a plain-text body",
    "blocked": "403 with a filtering proxy's HTML page",
    "slow": "the real answer, after the client's timeout has passed",
    "drip": "the real answer, one byte at a time (drip_interval seconds apart)",
    "close": "the request reaches AWS, the connection closes without an answer",
}

PORTAL_PAGE = b"""<!DOCTYPE html>
<html><head><title>Hotel Wi-Fi</title></head>
<body><h1>Welcome!</h1><p>Please accept the terms to continue.</p>
<form method="post" action="/login"><input type="checkbox" name="terms"> I agree
<button>Connect</button></form></body></html>
"""
XHTML_PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Airport Wi-Fi</title></head>
<body><p>Please sign in to continue.</p></body></html>
"""
BLOCKED_PAGE = b"""<!DOCTYPE html>
<html><head><title>Blocked</title></head>
<body><h1>Access to this site is blocked by your organisation's policy</h1></body></html>
"""
# IAM Identity Center's APIs name their action by the path, not by a form's Action.
PATH_ACTIONS = {
    "/client/register": "RegisterClient",
    "/device_authorization": "StartDeviceAuthorization",
    "/token": "CreateToken",
    "/federation/credentials": "GetRoleCredentials",
    "/assignment/accounts": "ListAccounts",
    "/assignment/roles": "ListAccountRoles",
    "/logout": "Logout",
}
# Hop-by-hop headers are the proxy's own business, never forwarded.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade"}


class FaultProxy:
    """Listens on loopback and forwards to ``upstream``, damaging chosen answers.

    ``inject(action, fault)`` damages the answers to every later request for
    ``action`` ("*" for any), or only the next ``count`` of them.
    """

    def __init__(self, upstream: str, *, slow_seconds: float = 5.0, drip_interval: float = 1.0,
                 tls: Path | None = None) -> None:
        """``tls``: a directory to write a self-signed certificate for 127.0.0.1 to, and serve HTTPS
        (``certificate`` is then its PEM file), as an endpoint behind an organisation's CA is.
        """
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.slow_seconds = slow_seconds
        self.drip_interval = drip_interval
        self.received: Counter[str] = Counter()  # requests per action, damaged or not
        self._faults: list[list] = []  # [action, fault, remaining or None]
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.certificate = None
        if tls is not None:
            from saml_idp import serve_https

            self.certificate = serve_https(self._server, tls)
        scheme = "https" if tls is not None else "http"
        self.endpoint = f"{scheme}://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def inject(self, action: str, fault: str, count: int | None = None) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
        with self._lock:
            self._faults.append([action, fault, count])

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, action: str) -> str | None:
        with self._lock:
            self.received[action] += 1
            for entry in self._faults:
                if entry[0] in ("*", action):
                    if entry[2] is not None:
                        entry[2] -= 1
                        if entry[2] <= 0:
                            self._faults.remove(entry)
                    return entry[1]
        return None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        pass

    Handler.proxy = proxy
    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as AWS endpoints do
    proxy: FaultProxy

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the test output is about the client

    def do_GET(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        action = (dict(parse_qsl(body.decode("utf-8", "replace"))).get("Action")
                  or PATH_ACTIONS.get(urlsplit(self.path).path) or "unknown")
        fault = self.proxy.take(action)
        if fault == "close":
            self._forward(body)
            self.close_connection = True
            return
        if fault in ("garbage", "html", "xhtml", "empty", "text500", "blocked"):
            self._forward(body)  # AWS did the work; the answer is lost on the way
            self._send(*_replacement(fault))
            return
        status, reason, headers, answer = self._forward(body)
        if fault == "slow":
            time.sleep(self.proxy.slow_seconds)
        if fault == "truncated":
            answer = answer[: len(answer) // 2]
        raw = _response_bytes(status, reason, headers, answer)
        if fault == "cut":
            raw = _response_bytes(status, reason, headers, answer[: len(answer) // 2], length=len(answer))
            self.wfile.write(raw)
            self.wfile.flush()
            self.close_connection = True
        elif fault == "drip":
            self._drip(raw)
        else:
            self.wfile.write(raw)

    def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        # The Host header is part of the signature: it goes upstream unchanged.
        connection = http.client.HTTPConnection(*self.proxy.upstream, timeout=60)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}]
            return response.status, response.reason, kept, answer
        finally:
            connection.close()

    def _send(self, status: int, reason: str, content_type: str, body: bytes) -> None:
        self.wfile.write(_response_bytes(status, reason, [("Content-Type", content_type)], body))

    def _drip(self, raw: bytes) -> None:
        try:
            for index in range(len(raw)):
                self.wfile.write(raw[index : index + 1])
                self.wfile.flush()
                time.sleep(self.proxy.drip_interval)
        except OSError:
            pass  # the client gave up, as it should
        self.close_connection = True


def _replacement(fault: str) -> tuple[int, str, str, bytes]:
    if fault == "garbage":
        return 200, "OK", "text/xml", random.Random(fault).randbytes(512)
    if fault == "html":
        return 200, "OK", "text/html; charset=utf-8", PORTAL_PAGE
    if fault == "xhtml":
        # Served as XML, as some portals do: only the page itself says what it is.
        return 200, "OK", "text/xml", XHTML_PAGE
    if fault == "empty":
        return 200, "OK", "text/xml", b""
    if fault == "blocked":
        return 403, "Forbidden", "text/html", BLOCKED_PAGE
    return 500, "Internal Server Error", "text/plain", b"Internal Server Error\n"


def _response_bytes(status: int, reason: str, headers: list[tuple[str, str]], body: bytes,
                    length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
