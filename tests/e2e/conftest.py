"""Fixtures of the end-to-end tests."""

from tests.e2e.families import family

__all__ = ["family"]
