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
        from assume_role.aws_errors import where

        raise UsageError(
            f"refusing to send credentials to {where(url)}: the endpoint must use https unless it is on loopback"
        )
