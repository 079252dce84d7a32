"""Checking AWS Signature Version 4 on incoming requests.

moto reads the access key id out of the Authorization header and never looks at
the signature, so a client with a wrong secret would pass. The strict layer
recomputes the signature with the secret it knows for that key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from botocore.utils import normalize_url_path

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

_HEADER_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)


@dataclass(frozen=True)
class SignedRequest:
    """What a SigV4 signature claims: who signed, for which scope, over which headers."""

    access_key_id: str
    date: str  # yyyymmdd from the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str  # the timestamp that was signed
    security_token: str | None
    in_query: bool  # presigned URL rather than an Authorization header

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


class MalformedSignature(ValueError):
    pass


def _header(environ: dict, name: str) -> str | None:
    key = name.upper().replace("-", "_")
    if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        return environ.get(key)
    return environ.get("HTTP_" + key)


def _split_credential(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise MalformedSignature(credential)
    return parts[0], parts[1], parts[2], parts[3]


def parse(environ: dict) -> SignedRequest | None:
    """The SigV4 claims of a request, or None if it carries no SigV4 signature at all."""
    authorization = environ.get("HTTP_AUTHORIZATION")
    if authorization:
        match = _HEADER_RE.match(authorization.strip())
        if not match:
            raise MalformedSignature(authorization)
        key, date, region, service = _split_credential(match["credential"])
        return SignedRequest(
            access_key_id=key,
            date=date,
            region=region,
            service=service,
            signed_headers=tuple(match["signed"].split(";")),
            signature=match["signature"].lower(),
            amz_date=_header(environ, "x-amz-date") or "",
            security_token=_header(environ, "x-amz-security-token"),
            in_query=False,
        )
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if query.get("X-Amz-Algorithm") == ALGORITHM and "X-Amz-Credential" in query:
        key, date, region, service = _split_credential(query["X-Amz-Credential"])
        return SignedRequest(
            access_key_id=key,
            date=date,
            region=region,
            service=service,
            signed_headers=tuple(query.get("X-Amz-SignedHeaders", "host").split(";")),
            signature=query.get("X-Amz-Signature", "").lower(),
            amz_date=query.get("X-Amz-Date", ""),
            security_token=query.get("X-Amz-Security-Token"),
            in_query=True,
        )
    return None


def _canonical_query(raw_query: str, drop_signature: bool) -> str:
    pairs = []
    for pair in raw_query.split("&") if raw_query else []:
        key, _, value = pair.partition("=")
        if drop_signature and key == "X-Amz-Signature":
            continue
        pairs.append((key, value))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _canonical_uris(raw_path: str) -> list[str]:
    # Most services sign the normalised, URI-encoded-again path; S3 signs it as sent.
    candidates = [quote(normalize_url_path(raw_path), safe="/~"), raw_path or "/"]
    return list(dict.fromkeys(candidates))


def _payload_hashes(environ: dict, body: bytes, claim: SignedRequest) -> list[str]:
    declared = _header(environ, "x-amz-content-sha256")
    if declared:
        return [declared]
    digest = hashlib.sha256(body).hexdigest()
    return [digest, UNSIGNED_PAYLOAD] if claim.in_query else [digest]


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, claim: SignedRequest) -> bytes:
    key = _hmac(f"AWS4{secret}".encode("utf-8"), claim.date)
    key = _hmac(key, claim.region)
    key = _hmac(key, claim.service)
    return _hmac(key, "aws4_request")


def verify(environ: dict, body: bytes, claim: SignedRequest, secret: str) -> bool:
    """Whether ``claim.signature`` is what ``secret`` produces for this request."""
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    raw_path, _, _ = raw_uri.partition("?")
    query = _canonical_query(environ.get("QUERY_STRING", ""), drop_signature=claim.in_query)
    header_lines = []
    for name in claim.signed_headers:
        value = _header(environ, name)
        if value is None:
            return False
        header_lines.append(f"{name}:{' '.join(value.split())}")
    headers_block = "\n".join(header_lines) + "\n"
    key = signing_key(secret, claim)
    for uri in _canonical_uris(raw_path):
        for payload_hash in _payload_hashes(environ, body, claim):
            canonical = "\n".join(
                [
                    environ.get("REQUEST_METHOD", "GET").upper(),
                    uri,
                    query,
                    headers_block,
                    ";".join(claim.signed_headers),
                    payload_hash,
                ]
            )
            to_sign = "\n".join(
                [ALGORITHM, claim.amz_date, claim.scope,
                 hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
            )
            expected = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
            if hmac.compare_digest(expected, claim.signature):
                return True
    return False
