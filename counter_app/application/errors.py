"""The application layer's own exceptions: what went wrong, in a message for the user.

Storage failures (sqlite3 errors, a locked or damaged data folder) never reach the UI as
they are: the use cases raise one of these instead, each carrying the text to show.

The ones raised while opening the data folder also derive from storage's DatabaseError, so
callers that already catch that (the command line) keep working unchanged.
"""

from __future__ import annotations

from counter_app.storage.db import DatabaseError


class ApplicationError(Exception):
    """A use case could not be carried out; `message` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StorageFailed(ApplicationError):
    """The database refused to record (or read) something; nothing recorded is lost."""

    @classmethod
    def not_saved(cls, cause: BaseException) -> StorageFailed:
        return cls(
            f"NOT SAVED: the database refused the record ({cause}). Nothing already recorded "
            "is lost; free disk space or call support, then try again."
        )


class CannotOpen(ApplicationError, DatabaseError):
    """The data folder's database cannot be used (schema too new, file system refuses, …)."""


class DataFolderBusy(CannotOpen):
    """Another Counter App or admin command holds the data folder."""


class DamagedDatabase(CannotOpen):
    """A database that fails its integrity check (read-only opens refuse it)."""


class NoDatabase(CannotOpen):
    """There is no counter database in the data folder yet."""


class SignInRefused(ApplicationError):
    """Wrong PIN, unknown number or a locked account; the message says which."""


class PinChangeRequired(SignInRefused):
    """The PIN was right but must be changed before signing in (a manager's PIN shorter than
    six digits): call `Counter.change_pin(number, old, new)`, then sign in with the new one."""

    def __init__(self, message: str, number: str) -> None:
        super().__init__(message)
        self.number = number


class PinNotChanged(ApplicationError):
    """A PIN change refused: wrong old PIN (counted as a wrong sign-in) or an unfit new one."""


class InvalidDecision(ApplicationError):
    """A manager's decision that cannot be recorded as given (unknown cause, missing note…)."""


class NotRecorded(ApplicationError):
    """A decision the event log refused (e.g. about a transaction it does not hold)."""
