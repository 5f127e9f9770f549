"""Data an administrator edits rarely and every request reads (service rules, request
categories), kept by each process for a short while instead of read on every request.

A process that changes the data forgets its copy at once, and again when the transaction
commits, in case another thread read the old rows in between. Other processes follow within
`seconds`: that delay is the price of the saved queries, and the README says so."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from django.db import models, transaction

T = TypeVar("T")

CACHE_SECONDS = 30.0


class Kept(Generic[T]):
    """What `load` returns from the rows of the model it `reads`, kept for `seconds` of this
    process's monotonic clock."""

    every: ClassVar[list[Kept[Any]]] = []

    def __init__(
        self, load: Callable[[], T], *, reads: type[models.Model], seconds: float = CACHE_SECONDS
    ) -> None:
        self.load = load
        self.reads = reads
        self.seconds = seconds
        self._stored: tuple[float, T] | None = None
        Kept.every.append(self)

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
    def rows_changed(cls, model: type[models.Model]) -> None:
        """Rows of `model` were written: every copy read from them is forgotten."""
        for kept in cls.every:
            if issubclass(model, kept.reads):
                kept.changed()

    @classmethod
    def forget_all(cls) -> None:
        """Between tests, whose changes are rolled back behind the copies' backs."""
        for kept in cls.every:
            kept.forget()


class KeptRows(models.Model):
    """A model whose rows processes keep (Kept): saving or deleting a row tells them. A bulk
    write in SQL goes past these methods and must call Kept.rows_changed itself (the admin's
    bulk delete does, through wudian.core.admin.KeptRowsAdmin)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        Kept.rows_changed(type(self))

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        Kept.rows_changed(type(self))
        return deleted
