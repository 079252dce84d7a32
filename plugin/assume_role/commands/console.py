"""``assume-role console [ACCOUNT ROLE] [--service NAME] [--print]``: the AWS console as the role.

Signs in through AWS's federation endpoint: ``getSigninToken`` turns role
credentials into a sign-in token, and a ``login`` URL on the partition's
sign-in host takes the browser to the console, in the request's region. With
no ACCOUNT and ROLE it is the role this shell holds.

The federation endpoint refuses role credentials that came from AssumeRole
with DurationSeconds called with temporary credentials, which is how the
main command chains from the MFA session. The console therefore gets its own
role session, assumed from the MFA session without DurationSeconds (AWS's
default hour) and never stored; no MFA code is asked while that session is
valid.

The URL is a bearer secret for the console session. It is never logged, not
even with -v. ``--print`` (or a machine without a display) prints it on
stdout. Otherwise the browser is opened on a one-time loopback address that
redirects to it, so the URL never appears on a command line (the browser's),
where every user of the machine could read it. That address is on the command
line, so every user can also fetch it: the redirect is given only to a
connection whose socket belongs to this user (``local_peer``). When another
user asks for it first, nothing is given out, the browser gets nothing either,
and the command fails: the sign-in did not reach the person's browser.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
from urllib.parse import quote, urlencode, urlsplit

from assume_role.errors import DeniedError, NetworkError, UsageError
from assume_role.validate import printable

ENDPOINT_VARIABLE = "ASSUME_ROLE_FEDERATION_ENDPOINT"
ISSUER = "assume-role"
# Sign-in and console hosts per partition.
HOSTS = {
    "aws": ("signin.aws.amazon.com", "console.aws.amazon.com"),
    "aws-us-gov": ("signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"),
    "aws-cn": ("signin.amazonaws.cn", "console.amazonaws.cn"),
}
_SERVICE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_SIGNIN_TOKEN = re.compile(r"[A-Za-z0-9_.~+/=-]{1,8192}")
# How long the one-time redirect waits for the browser to come.
BROWSER_WAIT = 120


def _parser() -> argparse.ArgumentParser:
    from assume_role.arguments import Parser

    parser = Parser(
        prog="assume-role console",
        usage="assume-role console [-v] [ACCOUNT ROLE [MFA_TOKEN]] [--service NAME] [--region REGION] [--print]",
        description="Open the AWS console as ROLE in ACCOUNT (default: the role this shell holds).",
    )
    parser.add_argument("account", nargs="?", metavar="ACCOUNT")
    parser.add_argument("role", nargs="?", metavar="ROLE")
    parser.add_argument("mfa_token", nargs="?", metavar="MFA_TOKEN")
    parser.add_argument("--service", default="console", help="console page to open, e.g. s3 or ec2 (default: home)")
    parser.add_argument("--region", help="region to open the console in (default: the shell's, as for assume)")
    parser.add_argument("--print", action="store_true", help="print the sign-in URL on stdout instead of opening it")
    parser.add_argument("-v", "--verbose", action="store_true", help="explain each step on stderr (never the URL)")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if not _SERVICE.fullmatch(args.service):
        raise UsageError(f"--service must be a console service name such as s3 or ec2, not {args.service!r}")
    account, role, region = args.account, args.role, args.region
    if account and not role:
        raise UsageError("console takes ACCOUNT and ROLE together, or neither for the role this shell holds")
    if not account:
        account = os.environ.get("AWS_ACCOUNT_NAME") or os.environ.get("AWS_ACCOUNT_ID")
        role = os.environ.get("AWS_ACCOUNT_ROLE")
        region = region or os.environ.get("AWS_REGION") or None  # where this shell works
        if not (account and role):
            raise UsageError("no role is assumed in this shell: name one, as in assume-role console production read")

    from assume_role import signin
    from assume_role.commands import assume
    from assume_role.aws.regions import partition

    log = assume.logger(args.verbose)
    configured = _configured_endpoint()  # checked before any credentials exist
    assumed = assume.obtain(account, role, region, source=signin.choose(args.mfa_token), log=log, console=True)
    signin_host, console_host = HOSTS[partition(assumed.region)]
    endpoint = configured or f"https://{signin_host}/federation"
    log(f"asking the federation endpoint for a sign-in token for {assumed.role} in {assumed.account.alias}")
    token = _signin_token(endpoint, assumed.credentials)
    destination = f"https://{console_host}/{args.service}/home?region={quote(assumed.region)}"
    url = f"{endpoint}?" + urlencode(
        {"Action": "login", "Issuer": ISSUER, "Destination": destination, "SigninToken": token}
    )
    from assume_role.browser import has_display

    if args.print or not has_display():
        return _print_url(url)
    from assume_role import local_peer

    if not local_peer.available():
        return _print_url(url, "this system cannot tell which user fetches a loopback address")
    if not _open_in_browser(url):
        return _print_url(url, "could not start a browser")
    print(f"assume-role: opened the console as {printable(assumed.role)} in {printable(assumed.account.alias)}",
          file=sys.stderr)
    return 0


def _print_url(url: str, why: str | None = None) -> int:
    if why:
        print(f"assume-role: {why}; printing the sign-in URL instead", file=sys.stderr)
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    return 0


def _configured_endpoint() -> str | None:
    """``ASSUME_ROLE_FEDERATION_ENDPOINT`` if set: HTTPS, or loopback for tests and the demo."""
    from assume_role.aws.endpoints import require_safe_endpoint, well_formed

    endpoint = os.environ.get(ENDPOINT_VARIABLE)
    if not endpoint:
        return None
    if not well_formed(endpoint) or any(c in "?#" for c in endpoint):
        raise UsageError(
            f"{ENDPOINT_VARIABLE} must be a URL such as https://host[:port]/path, "
            "without user:password@, spaces, query or fragment"
        )
    require_safe_endpoint(endpoint)
    return endpoint


def _signin_token(endpoint: str, credentials) -> str:
    """``getSigninToken`` for ``credentials``: one GET, no redirect or proxy, bounded in time and size."""
    status, body = _federation_get(
        endpoint,
        {
            "Action": "getSigninToken",
            "Session": json.dumps(
                {
                    "sessionId": credentials.access_key_id,
                    "sessionKey": credentials.secret_access_key,
                    "sessionToken": credentials.session_token,
                }
            ),
        },
    )
    # No answer body is shown: it is the endpoint's text, not ours.
    if 300 <= status < 400:
        raise NetworkError(
            f"the federation endpoint answered with a redirect (HTTP {status}), which is not followed; "
            f"set {ENDPOINT_VARIABLE} to the final address"
        )
    if status == 429 or status >= 500:
        raise NetworkError(f"the federation endpoint failed (HTTP {status}); try again later")
    if status >= 400:
        raise DeniedError(
            f"the federation endpoint refused the role's credentials (HTTP {status}); "
            "check that the role may be used for console sign-in"
        )
    try:
        token = json.loads(body)["SigninToken"]
    except (ValueError, KeyError, TypeError):
        token = None
    if not isinstance(token, str) or not _SIGNIN_TOKEN.fullmatch(token):
        raise NetworkError("the federation endpoint answered without a usable sign-in token")
    return token


def _federation_get(endpoint: str, query: dict) -> tuple[int, bytes]:
    """The status and body of one GET, through the transport of the AWS calls (``aws.http``)."""
    from assume_role import settings
    from assume_role.aws import http, retry

    target = (urlsplit(endpoint).path or "/") + "?" + urlencode(query)
    timeout = settings.http_timeout()
    try:
        status, _, body = retry.within(
            timeout, lambda: http.exchange(endpoint, "GET", {"Accept": "application/json"}, target=target)
        )
        return status, body
    except http.NoAnswer as exc:
        if exc.tls:
            raise NetworkError("cannot verify the TLS certificate of the federation endpoint; nothing was sent") from None
        if not exc.sent:
            raise NetworkError("cannot reach the federation endpoint; check your network") from None
        raise NetworkError("the connection to the federation endpoint broke before a complete answer") from None
    except retry.DeadlineExceeded:
        raise NetworkError(
            f"the federation endpoint did not answer within {timeout:g} seconds (ASSUME_ROLE_HTTP_TIMEOUT)"
        ) from None
    except retry.Unreadable:
        raise NetworkError("the federation endpoint answered too much to be a sign-in token") from None


def _open_in_browser(url: str) -> bool:
    """Open ``url`` through a one-time loopback redirect; False if no browser started.

    Only a connection from this user's own socket gets the redirect. Any user
    can read the loopback address on the browser's command line: when another
    one asks for it before the browser, the hand-off is over and it fails.
    """
    import http.server
    import threading
    import webbrowser

    from assume_role import local_peer

    path = "/" + secrets.token_urlsafe(24)
    me = os.geteuid()
    first = threading.Lock()  # held by the first request for the path, never released
    done = threading.Event()
    taken_by: list[int | None] = []  # the other user who asked first, if one did

    class Redirect(http.server.BaseHTTPRequestHandler):
        timeout = 10  # a connection that sends nothing is dropped, not waited for

        def do_GET(self):  # noqa: N802 (the name http.server calls)
            uid = local_peer.uid_of(self.client_address, self.server.server_address)
            spends = self.path == path and first.acquire(blocking=False)
            if uid != me:
                self.send_error(403)
                if spends:
                    taken_by.append(uid)
                    done.set()
                return
            if not spends:
                self.send_error(404)
                return
            self.send_response(303)
            self.send_header("Location", url)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            # Only now: this thread is not waited for, and the process ends soon after.
            done.set()

        def log_message(self, *args):  # the request line holds the one-time path
            pass

    # A thread per connection: an idle one (a browser's speculative connection,
    # or another user's) does not hold up the browser's request.
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    # Served from a thread: some browser launchers wait for the page to load.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        try:
            opened = webbrowser.open(f"http://127.0.0.1:{server.server_port}{path}")
        except webbrowser.Error:
            opened = False
        if not (opened or done.is_set()):
            return False
        if not done.wait(BROWSER_WAIT):
            raise NetworkError(f"the browser did not come for the sign-in within {BROWSER_WAIT} s; try --print")
    finally:
        server.shutdown()
        server.server_close()
    if taken_by:
        who = "another user of this machine" if taken_by[0] is None else f"user id {taken_by[0]} on this machine"
        raise NetworkError(
            f"{who} asked for the console sign-in before your browser; nothing was handed out: "
            "run assume-role console again, or use --print"
        )
    return True
