"""Data an administrator edits rarely and every request reads (service rules, request
categories), kept by each process for a short while instead of read on every request.

A process that changes the data forgets its copy at once, and again when the transaction
commits, in case another thread read the old rows in between. Other processes follow within
`seconds`: that delay is the price of the saved queries, and the README says so."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from django.db import transaction

T = TypeVar("T")

CACHE_SECONDS = 30.0


class Kept(Generic[T]):
    """What `load` returns, kept for `seconds` of this process's monotonic clock."""

    every: ClassVar[list[Kept[object]]] = []

    def __init__(self, load: Callable[[], T], *, seconds: float = CACHE_SECONDS) -> None:
        self.load = load
        self.seconds = seconds
        self._stored: tuple[float, T] | None = None
        Kept.every.append(self)  # type: ignore[arg-type]

    def get(self) -> T:
        now = time.monotonic()
        stored = self._stored
        if stored is None or now - stored[0] > self.seconds:
            stored = (now, self.load())
            self._stored = stored
        return stored[1]

    def forget(self) -> None:
        """Drop this process's copy: the next read loads it again."""
        self._stored = None

    def changed(self) -> None:
        """Called by whatever writes the rows: forget now, and again at commit."""
        self.forget()
        transaction.on_commit(self.forget)

    @classmethod
    def forget_all(cls) -> None:
        """Between tests, whose changes are rolled back behind the copies' backs."""
        for kept in cls.every:
            kept.forget()
