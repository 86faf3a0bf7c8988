"""Every exception c2c raises on purpose, grouped by what the caller does about it.

The three collection classes mirror the Sumo Logic Cloud-to-Cloud error types (DESIGN §4):
- ThirdPartyConfigError: the vendor rejected our configuration; do not retry until it changes.
- ThirdPartyGenericError: the vendor or the network failed; retry with backoff.
- FirstPartyGenericError: our side failed (stdout closed, state not writable); retry, checkpoint not advanced.
"""

from __future__ import annotations

from dataclasses import dataclass


class C2CError(Exception):
    """Base of every error c2c reports to the operator without a traceback."""


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong in a config file: where it is and what is wrong."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class ConfigError(C2CError):
    """The config files are invalid; every problem is listed at once."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(C2CError):
    """A command was called with arguments that cannot work (unknown source name, ...)."""


class CollectionError(C2CError):
    """An error while collecting one source. `event_name` is the health record's eventName."""

    event_name = "CollectionError"
    source_wide = False  # it concerns the whole source (its token endpoint), not one data type

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class ThirdPartyConfigError(CollectionError):
    event_name = "ThirdPartyConfigError"


class ThirdPartyGenericError(CollectionError):
    event_name = "ThirdPartyGenericError"


class FirstPartyGenericError(CollectionError):
    event_name = "FirstPartyGenericError"


class OutputClosed(FirstPartyGenericError):
    """stdout cannot be written (the reader went away): no other source can deliver either."""


class TokenRejected(ThirdPartyGenericError):
    """A data call answered 401/403: the caller refreshes the token once and retries."""


class CursorRejected(CollectionError):
    """The vendor refused the cursor the request carried (a vendor rule says so). `expired`: the vendor may
    accept it again with its expiry waived. The data type's cursor strategy decides what to do."""

    event_name = "ThirdPartyGenericError"

    def __init__(self, message: str, *, expired: bool = False, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.expired = expired


class PageTooBig(CollectionError):
    """The vendor could not answer a page this big in time (a vendor rule says so): ask for smaller pages."""

    event_name = "ThirdPartyGenericError"


class SourceLocked(C2CError):
    """Another c2c process is collecting this source right now."""
