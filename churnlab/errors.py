"""One exception tree for churnlab.

Every error a user can cause is a :class:`ChurnlabError` whose message names the problem and the fix.
Third-party and subprocess errors are translated at the boundary that calls them (``git.py``, ``io.py``).
The CLI prints ``churnlab: <message>`` and exits non-zero; it never shows a traceback for these.
"""

from __future__ import annotations

__all__ = [
    "ChurnlabError",
    "ChurnlabWarning",
    "DataError",
    "GitError",
    "InputError",
    "ManyZerosWarning",
    "SchemaError",
]


class ChurnlabError(Exception):
    """Base class of every error churnlab raises on purpose."""


class InputError(ChurnlabError, ValueError):
    """An argument, path, URL, option or file given by the user is not usable."""


class GitError(ChurnlabError):
    """git failed or is missing, or the repository cannot be read."""


class SchemaError(ChurnlabError):
    """A table does not match its declared schema (columns, dtypes, key)."""


class DataError(ChurnlabError, ValueError):
    """Data handed to an analysis function violates its assumptions (duplicated keys, reversals, ...)."""


class ChurnlabWarning(UserWarning):
    """Base class of every warning churnlab issues on purpose (filter them with ``warnings.filterwarnings``)."""


class ManyZerosWarning(ChurnlabWarning):
    """A log(y+1) or asinh transform is applied to an outcome with many zeros: effects are not percentages."""
