"""Domain errors. The CLI turns them into one line and exit code 2; the app into ``st.error``."""

from __future__ import annotations

import difflib
from typing import Any, Iterable


class AdvisorError(Exception):
    """Base of every error the advisor reports to a user as one line."""


class InputError(AdvisorError, ValueError):
    """A user-supplied value is out of range or malformed.

    The message names the field, the value and what is allowed.
    """

    def __init__(self, field: str, value: Any, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: got {value!r}; allowed: {allowed}")


class UnknownSlugError(InputError):
    """A slug (GPU, pipeline, API, rental) that is not in the catalog; suggests the closest slugs."""

    #: slugs listed in the message at most; a longer catalog is cut with a count (the message stays one short line)
    MAX_LISTED = 12

    def __init__(self, field: str, value: str, known: Iterable[str]):
        known = sorted(known)
        close = difflib.get_close_matches(str(value), known, n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        listed = ", ".join(known[:self.MAX_LISTED])
        if len(known) > self.MAX_LISTED:
            listed += f", ... ({len(known)} in all; `advisor catalog` lists them)"
        super().__init__(field, value, f"{hint}one of {listed}")
        self.suggestions = close


class CatalogError(AdvisorError):
    """A catalog or profile file is malformed: the message names the file, the entry and the field."""

    def __init__(self, file: str, entry: str | None, field: str | None, problem: str):
        self.file, self.entry, self.field, self.problem = file, entry, field, problem
        where = file
        if entry:
            where += f" [{entry}]"
        if field:
            where += f" field '{field}'"
        super().__init__(f"{where}: {problem}")
