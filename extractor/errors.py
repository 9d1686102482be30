"""Every error the package raises on purpose, in one place.

Each error renders as one line that says what went wrong and where
(file, line or record, character offset). The CLI prints ``str(error)``
and exits non-zero; nothing the user feeds in should surface as a
traceback.
"""

from __future__ import annotations


class ExtractorError(Exception):
    """Base class: a problem with the input or configuration, not a bug."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = " ".join(self.message.split())  # always a single line
        return f"{self.where}: {text}" if self.where else text

    def at(self, where: str) -> ExtractorError:
        """Return a copy of this error located at ``where`` (outermost first)."""
        located = type(self)(self.message, where=f"{where}: {self.where}" if self.where else where)
        located.__cause__ = self.__cause__ or self
        return located


class InputError(ExtractorError):
    """The input cannot be read: missing, empty, binary, wrong encoding, too large."""


class FormatError(ExtractorError):
    """The input was read but is malformed for its format (XML, JSON, registry page)."""


class SegmentationError(ExtractorError):
    """The eligibility text cannot be turned into a criteria tree (e.g. absurd nesting)."""


class ResourceError(ExtractorError):
    """A packaged rule file is invalid (unknown key, bad pattern, wrong type)."""
