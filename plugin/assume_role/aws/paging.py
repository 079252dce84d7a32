"""Reading an AWS listing page after page, with an end guaranteed.

A listing of accounts is followed up to ``MAX_ACCOUNTS`` entries: the size the
accounts file and its index are built for. A full page holds 20, and AWS may
send short pages, so ``MAX_PAGES`` allows twice as many pages as full ones need.
"""

from __future__ import annotations

from collections.abc import Callable

from assume_role.errors import NetworkError

MAX_ACCOUNTS = 100_000
MAX_PAGES = 2 * MAX_ACCOUNTS // 20


def every_page(fetch: Callable[[str | None], tuple[list, str | None]], what: str) -> list:
    """Everything ``fetch(token)`` gives, page after page, until a page comes without a NextToken.

    A service that answers with a token it gave before, or keeps answering
    past ``MAX_ACCOUNTS`` accounts or ``MAX_PAGES`` pages, would be followed
    forever, each page adding to what is held: that is a broken answer
    (exit 6). ``what`` names the call in the message, as ``organizations:ListAccounts``.
    """
    found: list = []
    seen: set[int] = set()  # hashes of the tokens given: a token may be long
    token = None
    pages = 0
    while True:
        page, token = fetch(token)
        pages += 1
        found += page
        if not token:
            return found
        if hash(token) in seen:
            raise NetworkError(
                f"{what} answered page {pages:,} with a NextToken it had already given, so its list "
                "would never end; nothing was changed"
            )
        seen.add(hash(token))
        if len(found) > MAX_ACCOUNTS or pages >= MAX_PAGES:
            raise NetworkError(
                f"{what} still had more after {len(found):,} accounts in {pages:,} pages, beyond the "
                f"{MAX_ACCOUNTS:,} accounts or {MAX_PAGES:,} pages a listing is followed; nothing was changed"
            )
