"""Where secrets may be sent: over HTTPS, or to this machine.

One rule for every request that carries a secret (AWS calls with
credentials, the SAML identity provider's password POST). Loopback is allowed
without TLS because tests, the demo and local proxies live there and the
traffic never leaves the machine.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# host[:port] with no user:password@: a DNS name, an IPv4 address or a
# bracketed IPv6 one, and a port of digits (its range is checked apart).
_AUTHORITY = re.compile(
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?)(?::(?P<port>[0-9]{1,5}))?"
)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only plain-HTTP URLs pay for it

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def well_formed(url: str) -> bool:
    """An http(s) URL of printable ASCII with a host, a port 1-65535 if any, and no credentials.

    Checked before anything is sent, so a typo is a usage error and not a
    network failure after the role was obtained.
    """
    if not url.isascii() or any(ord(c) < 33 or ord(c) == 127 for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed "[", for one
        return False
    match = _AUTHORITY.fullmatch(parts.netloc)
    if parts.scheme not in ("http", "https") or not match:
        return False
    host, port = match["host"], match["port"]
    if port is not None and not 0 < int(port) < 65536:
        return False
    if host.startswith("["):
        import ipaddress

        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
    return True


def is_safe(url: str) -> bool:
    """Whether a secret may travel to ``url``."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and is_loopback(parts.hostname or "")


def _valid(url: str) -> bool:
    """Whether ``url`` splits into parts, its port a number of 0-65535 (a setting may hold anything)."""
    try:
        urlsplit(url).port
    except ValueError:
        return False
    return True


def require_safe_endpoint(url: str) -> None:
    """Refuse, in one line, to send credentials to a URL that is not one, or where ``is_safe`` says no."""
    from assume_role.errors import UsageError

    if not _valid(url):
        # Not shown: what cannot be taken apart could hold a password in it.
        raise UsageError(
            "the configured AWS endpoint is not a valid URL; check AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_STS, "
            "AWS_ENDPOINT_URL_IAM and the profile's endpoint_url"
        )
    if not is_safe(url):
        from assume_role.aws.errors import where
        from assume_role.errors import UsageError

        raise UsageError(
            f"refusing to send credentials to {where(url)}: the endpoint must use https unless it is on loopback"
        )
