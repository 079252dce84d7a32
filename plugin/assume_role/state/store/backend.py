"""What every store backend offers (file, keyring, env, none)."""

from __future__ import annotations

from abc import ABC, abstractmethod

# For annotations only: contextlib would be imported on every cache hit.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from contextlib import AbstractContextManager


class Backend(ABC):
    """Where entries live: opaque JSON objects under string keys."""

    name: str

    @abstractmethod
    def read(self, key: str) -> dict | None: ...

    @abstractmethod
    def write(self, key: str, data: dict) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def keys(self) -> list[str]: ...

    @abstractmethod
    def lock(self, key: str, waiting: str | None = None) -> AbstractContextManager: ...

    @abstractmethod
    def forget_leftovers(self) -> None: ...

    @abstractmethod
    def exports(self) -> dict[str, str]: ...
