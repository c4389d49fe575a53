"""Every error newsmon raises on purpose, in one place.

It lives in ``storage`` (the bottom floor) so that every layer can import it.

    NewsmonError                 base class; the CLI turns these into a message and an exit status
    ├── ConfigError              bad or missing configuration (exit 2); names file and key
    ├── UsageError               bad command-line use (exit 2)
    ├── StorageError             database unreachable or not migrated (exit 1)
    ├── LockHeldError            another run holds the lock (exit 4)
    ├── ModelError               relevance model missing, corrupt or untrainable (exit 1)
    ├── AllSourcesFailedError    a crawl in which every source failed (exit 3)
    ├── RunInterruptedError      a run stopped by SIGINT or SIGTERM (exit 130 or 143)
    └── DeliveryError            the digest could not be delivered (exit 5)
        └── DeliveryUncertainError   the message went out but the server's reply was lost (exit 5)
"""

from __future__ import annotations


class NewsmonError(Exception):
    """Base class for errors newsmon reports to the user."""

    exit_code = 1


class ConfigError(NewsmonError):
    """The configuration is missing, unreadable or invalid."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = ""
        if path:
            where += f"{path}: "
        if key:
            where += f"[{key}] "
        super().__init__(f"{where}{message}")


class UsageError(NewsmonError):
    """The command line was used wrongly."""

    exit_code = 2


class StorageError(NewsmonError):
    """The database cannot be used."""


class LockHeldError(NewsmonError):
    """Another newsmon run of the same kind holds the lock on this database."""

    exit_code = 4


class ModelError(NewsmonError):
    """The relevance model cannot be loaded or trained."""


class AllSourcesFailedError(NewsmonError):
    """Every enabled source failed during a crawl."""

    exit_code = 3


class RunInterruptedError(NewsmonError):
    """A run stopped by a signal; exits 128 + its number (130 Ctrl-C, 143 SIGTERM), as a shell
    reports a process that a signal ended."""

    def __init__(self, message: str, *, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class DeliveryError(NewsmonError):
    """The digest could not be delivered; nothing was marked as sent."""

    exit_code = 5


class DeliveryUncertainError(DeliveryError):
    """The whole message reached the mail server but its reply to it did not reach us (timeout,
    dropped connection): whether the server took it is unknown. The digest is not marked failed;
    it stays pending, like one interrupted by a crash, and is sent again unchanged."""
