"""Where secrets may be sent: over HTTPS, or to this machine.

One rule for every request that carries a secret (AWS calls with
credentials, the SAML identity provider's password POST). Loopback is allowed
without TLS because tests, the demo and local proxies live there and the
traffic never leaves the machine.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only plain-HTTP URLs pay for it

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_safe(url: str) -> bool:
    """Whether a secret may travel to ``url``."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and is_loopback(parts.hostname or "")


def require_safe_endpoint(url: str) -> None:
    """Refuse, in one line, to send credentials where ``is_safe`` says no."""
    if not is_safe(url):
        from assume_role.aws.errors import where
        from assume_role.errors import UsageError

        raise UsageError(
            f"refusing to send credentials to {where(url)}: the endpoint must use https unless it is on loopback"
        )
