"""Fixtures of the jury tests (shared with the evidence and insertion tests)."""

from tests.jury.factories import pilot  # noqa: F401
