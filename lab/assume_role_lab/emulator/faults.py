"""Injected failures and the per-action call counters of the control API."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass


@dataclass
class Fault:
    """Applies to the next ``remaining`` calls of ``action`` ("*" for any action)."""

    action: str
    remaining: int = 1
    code: str | None = None  # AWS error code to answer with; None to only delay
    status: int = 400
    message: str = ""
    delay: float = 0.0
    after: int = 0  # matching calls to let through first (to fail, say, the second page)

    def matches(self, action: str) -> bool:
        return self.action in ("*", action)


def normalise_action(action: str) -> str:
    # Accept IAM-policy style names ("sts:AssumeRole") as well as bare ones.
    return action.split(":", 1)[-1] if action != "*" else action


class FaultBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        fault.action = normalise_action(fault.action)
        with self._lock:
            self._faults.append(fault)

    def take(self, action: str) -> Fault | None:
        """The first pending fault for ``action``, counting one use of it."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(action):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


class CallCounter:
    """How many requests per action the emulator answered, split by outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ok: Counter[str] = Counter()
        self._failed: Counter[str] = Counter()
        self._in_flight = 0  # requests being answered right now (a delayed one, say)

    def begin(self) -> None:
        with self._lock:
            self._in_flight += 1

    def end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def record(self, action: str, succeeded: bool) -> None:
        with self._lock:
            (self._ok if succeeded else self._failed)[action] += 1

    def snapshot(self, outcome: str | None = None) -> dict[str, int]:
        with self._lock:
            if outcome == "ok":
                return dict(self._ok)
            if outcome == "error":
                return dict(self._failed)
            return dict(self._ok + self._failed)

    def clear(self) -> None:
        with self._lock:
            self._ok.clear()
            self._failed.clear()


class AssumedRoles:
    """What each successful AssumeRole asked for: session name, source identity, tags."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[dict] = []

    def record(self, role_arn: str, session_name: str, source_identity: str | None, tags: dict[str, str]) -> None:
        with self._lock:
            self._requests.append(
                {"role_arn": role_arn, "role_session_name": session_name,
                 "source_identity": source_identity, "tags": dict(tags)}
            )

    def snapshot(self) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._requests]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
