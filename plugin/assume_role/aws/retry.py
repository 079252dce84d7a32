"""How one AWS request is sent: deadlines for each attempt and for all, and retries only where safe.

botocore's retries cannot tell a request that carries a one-time MFA code
(which AWS spends on arrival) from one that can be sent again, and its
timeouts bound each socket read, not the whole answer: an answer trickling in
a byte at a time never times out. So the client sends exactly one attempt per
call, and this module bounds it and decides whether to try again. It knows
nothing of botocore: the caller says which failures may be retried.

The bounds, the same for both clients: each attempt ends after the HTTP
timeout, and the whole request, attempts and the waits between them, after
the timeout times the number of attempts. A request never takes longer than
that, and the message of one that timed out says how long it was given.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
A = TypeVar("A")

MAX_BACKOFF = 20.0  # seconds between attempts, at most


class DeadlineExceeded(Exception):
    """No complete answer in time: the attempt's deadline passed, or its socket waited as long.

    ``send`` fills in what the message needs: the ``attempts`` made and the
    ``seconds`` they were given in all, the waits between them included.
    """

    attempts = 1
    seconds: float | None = None


class Unreadable(Exception):
    """A complete answer that does not hold what the call returns (garbage, nothing)."""


class NotAws(Unreadable):
    """A complete answer from something else than AWS: a web page (a captive portal, a proxy's notice)."""


def within(seconds: float, attempt: Callable[[], T]) -> T:
    """``attempt()``, or DeadlineExceeded once ``seconds`` have passed.

    The attempt runs in a worker thread, so the wait does not depend on how
    the answer arrives. A late worker is abandoned (a daemon thread): nobody
    reads its answer, and the process ends soon after. Ctrl-C interrupts the
    wait as usual.
    """
    outcome: list[tuple[bool, object]] = []

    def work() -> None:
        try:
            outcome.append((True, attempt()))
        except BaseException as exc:  # handed to the waiting thread as it is
            outcome.append((False, exc))

    worker = threading.Thread(target=work, name="aws-request", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise DeadlineExceeded(seconds)
    succeeded, value = outcome[0]
    if succeeded:
        return value  # type: ignore[return-value]
    raise value  # type: ignore[misc]


def send(attempt: Callable[[], T], *, attempts: int, deadline: float,
         may_retry: Callable[[BaseException], bool]) -> T:
    """Up to ``attempts`` attempts of at most ``deadline`` seconds, all within ``attempts * deadline``.

    The waits between attempts come out of that total, and the last attempt
    gets what is left of it; no attempt starts when its wait would use it up.
    An endpoint that never answers thus takes exactly the total.
    """
    start = time.monotonic()
    end = start + attempts * deadline
    for number in range(1, attempts + 1):
        began = time.monotonic()
        allowed = min(deadline, end - began)
        try:
            return within(allowed, attempt)
        except Exception as exc:
            if isinstance(exc, DeadlineExceeded):
                exc.attempts, exc.seconds = number, began + allowed - start
            if number >= attempts or not may_retry(exc):
                raise
            # Backing off spreads out retries after quick refusals (throttling,
            # a 5xx); an attempt that timed out has waited long enough.
            pause = 0.0 if isinstance(exc, DeadlineExceeded) else backoff(number)
            if time.monotonic() + pause >= end:
                raise
        time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


def backoff(failures: int) -> float:
    """Exponential with full jitter: up to 1 s after the first failure, then 2, 4 ..."""
    return random.uniform(0, min(MAX_BACKOFF, 2.0 ** (failures - 1)))


def request(ask: Callable[[], A], read: Callable[[A], T], *, carries_code: bool,
            never_sent: Callable[[BaseException], bool], transient: Callable[[BaseException], bool]) -> T:
    """One AWS call as both clients make it: ``read(ask())``, bounded and retried.

    An answer ``read`` cannot take apart is ``Unreadable``. A call that
    carries a one-time code is tried again only if ``never_sent`` says it
    cannot have reached AWS; others whenever ``transient`` says so.
    """
    from assume_role import settings

    def attempt() -> T:
        answer = ask()
        try:
            return read(answer)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            raise Unreadable() from None

    return send(
        attempt,
        attempts=settings.max_attempts(),
        deadline=settings.http_timeout(),
        may_retry=never_sent if carries_code else transient,
    )
