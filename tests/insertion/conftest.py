"""Fixtures of the insertion survey tests: the jury tests' pilot."""

from tests.jury.factories import pilot  # noqa: F401
