"""AWS Signature Version 4 for the few requests the hot path sends.

botocore's signer cannot be imported alone (``botocore.auth`` pulls in most of
botocore, about 130 ms), and a signed POST of a form is a page of hashing, so
the hot path signs here with hashlib and hmac. The tests check every signature
against botocore's for the same request.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote, urlsplit

from assume_role.dates import datetime

ALGORITHM = "AWS4-HMAC-SHA256"


def form_body(params: dict[str, str]) -> bytes:
    """``application/x-www-form-urlencoded`` as AWS encodes it (RFC 3986 unreserved kept)."""
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in params.items()).encode("ascii")


def _encode(value: str) -> str:
    return quote(str(value), safe="-_.~")


def host_header(url: str) -> str:
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if parts.port and parts.port != default:
        return f"{host}:{parts.port}"
    return host


def sign_post(
    url: str,
    body: bytes,
    *,
    access_key_id: str,
    secret_access_key: str,
    session_token: str | None,
    region: str,
    service: str,
    now: datetime,
) -> dict[str, str]:
    """The headers of a signed POST of ``body`` to ``url``, Authorization included."""
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Host": host_header(url),
        "X-Amz-Date": amz_date,
    }
    if session_token:
        headers["X-Amz-Security-Token"] = session_token
    canonical = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
    signed = ";".join(sorted(canonical))
    request = "\n".join(
        [
            "POST",
            _canonical_path(url),
            "",
            "".join(f"{name}:{canonical[name]}\n" for name in sorted(canonical)),
            signed,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(request.encode("utf-8")).hexdigest()])
    key = ("AWS4" + secret_access_key).encode("utf-8")
    for part in (amz_date[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    return headers


def _canonical_path(url: str) -> str:
    path = urlsplit(url).path or "/"
    return quote(path, safe="/~")
