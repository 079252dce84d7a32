"""A small SAML identity provider for the tests: a sign-in API on 127.0.0.1.

It answers a POST of the JSON body the original tool's README shows
(``{"service": "aws", "email": ..., "password": ...}``) with
``{"saml_response": <base64 SAML response>}`` for a known user, as the
original tool's ``SAML_IDP_ASSERTION_URL`` does. The assertion names the role
it offers and the provider, in the shape moto's AssumeRoleWithSAML and the
strict layer read; it is not signed (nothing checks signatures).

``mode`` makes it misbehave the ways a real IdP or the network can.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from assume_role_lab.emulator.saml_assertion import (
    ASSERTION,
    AWS_RECIPIENT,
    PROTOCOL,
    ROLE_ATTRIBUTE,
    SESSION_NAME_ATTRIBUTE,
)

USER = "alice@example.com"
PASSWORD = "correct horse \"battery\" staple\\"
# The original tool's README example.
TEMPLATE = '{"service": "aws", "email": "$saml_user", "password": "$saml_password"}'
SIGN_IN = "/api/v1/saml/sso"
ELSEWHERE = "/elsewhere"
MODES = ("ok", "garbled", "no-assertion", "not-base64", "huge", "slow", "redirect", "expired", "server-error", "wrong-issuer",
         "status")


def _instant(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def saml_response(issuer: str, user: str, role_arn: str, provider_arn: str, *, valid_for: int = 300) -> str:
    """A base64 SAML response offering one role through one provider."""
    now = datetime.now(timezone.utc)
    until = _instant(now + timedelta(seconds=valid_for))

    def attribute(name: str, value: str) -> str:
        return (
            f"<saml:Attribute Name={quoteattr(name)}>"
            f"<saml:AttributeValue>{escape(value)}</saml:AttributeValue></saml:Attribute>"
        )

    document = (
        f'<samlp:Response xmlns:samlp="{PROTOCOL}" xmlns:saml="{ASSERTION}" ID="_{uuid.uuid4().hex}" '
        f'Version="2.0" IssueInstant="{_instant(now)}" Destination="{AWS_RECIPIENT}">'
        f"<saml:Issuer>{escape(issuer)}</saml:Issuer>"
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f'<saml:Assertion ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant(now)}">'
        f"<saml:Issuer>{escape(issuer)}</saml:Issuer>"
        "<saml:Subject>"
        f'<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{escape(user)}</saml:NameID>'
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="{AWS_RECIPIENT}"/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{_instant(now - timedelta(seconds=5))}" NotOnOrAfter="{until}">'
        f"<saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction>"
        "</saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{_instant(now)}"><saml:AuthnContext>'
        "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        "<saml:AttributeStatement>"
        # moto takes the first part of the Role value as the role: role first.
        + attribute(ROLE_ATTRIBUTE, f"{role_arn},{provider_arn}")
        + attribute(SESSION_NAME_ATTRIBUTE, user)
        + "</saml:AttributeStatement></saml:Assertion></samlp:Response>"
    )
    return base64.b64encode(document.encode("utf-8")).decode("ascii")


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files in ``directory``.

    Each is a CA with a name of its own: OpenSSL finds an issuer by name, and
    of two CAs named alike checks a certificate against the first it holds
    only, so a client trusting both would still refuse the other's
    certificate, and a test of whom it trusts would prove nothing.
    """
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"assume-role test CA {uuid.uuid4().hex[:12]}")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "idp.pem", directory / "idp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def serve_https(server: ThreadingHTTPServer, directory: Path) -> Path:
    """Make ``server`` answer HTTPS with a fresh certificate written to ``directory``; returns its PEM file."""
    import ssl

    certificate, key = self_signed_certificate(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return certificate


class IdentityProvider:
    """The sign-in API, serving in a thread until ``close()``."""

    def __init__(self, world, *, account: str = "production", role: str = "read", tls: Path | None = None):
        """``tls``: a directory to write a self-signed certificate for 127.0.0.1 to, and serve HTTPS."""
        self.world = world
        self.users = {USER: PASSWORD}
        self.offer = (account, role)
        self.mode = "ok"
        self.slow_seconds = 5.0
        self.redirect_status = 307  # what mode "redirect" answers, to ELSEWHERE
        self.status = 503  # what mode "status" answers, with a page that quotes the password
        self.posts: list[dict] = []  # every body received, parsed
        self.redirected: list[str] = []  # every request that reached ELSEWHERE: a redirect followed
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.certificate = serve_https(self._server, tls) if tls is not None else None
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        scheme = "https" if self.certificate else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_port}{SIGN_IN}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            request = json.loads(body)
        except ValueError:
            return 400, {}, b'{"error": "bad request"}'
        with self._lock:
            self.posts.append(request)
        if self.mode == "slow":
            time.sleep(self.slow_seconds)
        if self.mode == "redirect":
            # To this server, so that a client which follows it is seen doing so.
            return self.redirect_status, {"Location": self.url.replace(SIGN_IN, ELSEWHERE)}, b""
        if self.mode == "status":
            return self.status, {}, b"<html>Status page: password=" + str(request.get("password")).encode() + b"</html>"
        if self.mode == "server-error":
            return 500, {}, b"<html>Internal error: password=" + str(request.get("password")).encode() + b"</html>"
        if request.get("service") != "aws" or self.users.get(request.get("email")) != request.get("password"):
            # Echoes what it got, as careless IdPs do: the tool must not show it.
            detail = json.dumps({"error": f"invalid password {request.get('password')!r}"})
            return 401, {}, detail.encode()
        if self.mode == "garbled":
            return 200, {}, b"<html>Sign-in page</html>"
        if self.mode == "no-assertion":
            return 200, {}, json.dumps({"status": "ok", "token": request.get("password")}).encode()
        if self.mode == "huge":
            return 200, {}, b'{"saml_response": "' + b"A" * (2 * 1024 * 1024) + b'"}'
        if self.mode == "not-base64":
            return 200, {}, json.dumps({"saml_response": "not base64 at all!"}).encode()
        account, role = self.offer
        issuer = "https://evil.example.test/saml" if self.mode == "wrong-issuer" else self.world.saml_issuer
        assertion = saml_response(
            issuer,
            request["email"],
            self.world.role_arn(account, role),
            self.world.saml_provider_arn(account),
            valid_for=-60 if self.mode == "expired" else 300,
        )
        # Wrapped in lines, as some IdPs send base64.
        wrapped = "\n".join(assertion[i : i + 76] for i in range(0, len(assertion), 76))
        return 200, {}, json.dumps({"saml_response": wrapped}).encode()

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                if self.path != SIGN_IN:
                    self.elsewhere()
                elif self.headers.get("Content-Type") != "application/json":
                    self.reply(415, {}, b"")
                else:
                    self.reply(*idp.answer(self.rfile.read(length)))

            def do_GET(self) -> None:  # noqa: N802
                self.elsewhere()

            def elsewhere(self) -> None:
                with idp._lock:
                    idp.redirected.append(f"{self.command} {self.path}")
                self.reply(404, {}, b"")

            def reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler
