"""Errors, each one line a user can act on."""

from __future__ import annotations


class LedgerError(Exception):
    """Bad input: the command is refused and nothing is written (exit code 2)."""

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def at(self, location: str) -> LedgerError:
        """The same error, placed at FILE:LINE."""
        self.location = location
        return self

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class FieldError(LedgerError):
    """A field's value (or its absence) is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class ReportError(LedgerError):
    """A report asked for something the ledger does not know (exit code 2)."""


class ConflictError(Exception):
    """Another writer appended first; the caller retries from the new head."""
