"""The one way a request leaves this tool without botocore.

STS and IAM's Query calls (``aws.query``), AssumeRoleWithSAML, the SAML
identity provider's sign-in POST and the console's federation GET all go
through ``exchange``, under one policy:

* the request goes where the URL says or nowhere: no proxy from the
  environment, no redirect followed (a redirected POST would be resent, or
  turned into a GET, somewhere nobody checked);
* TLS is verified against a configured bundle (``AWS_CA_BUNDLE``, the
  profile's ``ca_bundle``) alone, else the system's store and certifi's;
* the answer is read up to ``MAX_ANSWER_BYTES``; each socket wait is bounded
  here, and the caller bounds the whole exchange (``retry.within`` or
  ``retry.request``), so a trickling answer cannot hold a run;
* failures are exceptions that say what happened, never with the server's
  text: ``NoAnswer`` (and whether anything was sent), ``retry.DeadlineExceeded``,
  ``retry.Unreadable`` for an answer too long. The callers word them.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from assume_role import __version__, settings
from assume_role.aws import retry

MAX_ANSWER_BYTES = 1 << 20  # every answer expected here is a few kB
USER_AGENT = f"assume-role/{__version__}"


class NoAnswer(Exception):
    """No complete answer: ``sent`` is False only if no connection was made."""

    def __init__(self, sent: bool, tls: bool = False):
        super().__init__(sent)
        self.sent, self.tls = sent, tls


def exchange(url: str, method: str, headers: dict, *, body: bytes | None = None, target: str | None = None,
             ca_bundle: str | None = None) -> tuple[int, str | None, bytes]:
    """One request to ``url`` and its answer: ``(status, content type, body)``.

    ``target``: the request line's path and query, when not ``url``'s own.
    """
    import http.client
    import ssl

    parts = urlsplit(url)
    if target is None:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = settings.http_timeout()
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=tls_context(ca_bundle)
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        try:
            connection.connect()
        except ssl.SSLError:
            raise NoAnswer(sent=False, tls=True) from None
        except OSError:  # refused, unreachable, or no connection in time: nothing was sent
            raise NoAnswer(sent=False) from None
        try:
            connection.request(method, target, body=body, headers={**headers, "User-Agent": USER_AGENT})
            response = connection.getresponse()
            answer = response.read(MAX_ANSWER_BYTES + 1)
        except TimeoutError:
            # The socket waited as long as an attempt may: that is a timeout,
            # not a broken connection, even when this thread notices before
            # the deadline's (see retry.within).
            raise retry.DeadlineExceeded() from None
        except (OSError, http.client.HTTPException):
            raise NoAnswer(sent=True) from None
        if len(answer) > MAX_ANSWER_BYTES:
            raise retry.Unreadable()
        return response.status, response.getheader("Content-Type"), answer
    finally:
        connection.close()


def tls_context(ca_bundle: str | None):
    """The trust of every request: a configured bundle alone, else the system's and certifi's.

    ``AWS_CA_BUNDLE`` or the profile's ``ca_bundle`` replaces the rest, as in
    botocore. Otherwise the system's store (which ``SSL_CERT_FILE`` can
    name, and where an organisation's CA for its identity provider lives)
    and certifi's bundle (botocore's default, for Pythons without a usable
    system store) are both trusted.
    """
    import ssl

    cafile = os.environ.get("AWS_CA_BUNDLE") or ca_bundle
    if cafile:
        return ssl.create_default_context(cafile=os.path.expanduser(cafile))
    context = ssl.create_default_context()
    try:
        import certifi
    except ImportError:
        return context
    context.load_verify_locations(cafile=certifi.where())
    return context
