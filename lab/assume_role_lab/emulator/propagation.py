"""IAM's eventual consistency for new access keys.

AWS documents that IAM is eventually consistent: an access key created a
moment ago may be refused (InvalidClientTokenId) for a few seconds, in
whichever region the request lands. moto knows a new key at once. With
``refuse(n)``, each key created afterwards through the strict layer is
refused for its first ``n`` signed requests, so a client's "wait until the
new key works" path is exercised without waiting for anything.
"""

from __future__ import annotations

import threading


class KeyPropagation:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._young: dict[str, int] = {}

    def refuse(self, requests: int) -> None:
        """Refuse each key created from now on for its first ``requests`` requests (0: never)."""
        with self._lock:
            self._requests = max(0, requests)

    def created(self, access_key_id: str) -> None:
        with self._lock:
            if self._requests:
                self._young[access_key_id] = self._requests

    def refuses(self, access_key_id: str) -> bool:
        """Whether this request with ``access_key_id`` is one IAM does not know the key for yet."""
        with self._lock:
            left = self._young.get(access_key_id, 0)
            if not left:
                return False
            if left == 1:
                del self._young[access_key_id]
            else:
                self._young[access_key_id] = left - 1
            return True

    def clear(self) -> None:
        with self._lock:
            self._requests = 0
            self._young.clear()
