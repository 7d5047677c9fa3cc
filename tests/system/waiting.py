"""Moved to :mod:`tests.waiting` (one polling helper for every test tier); this name still imports
it for tests written against the old place."""

from tests.waiting import DEADLINE, wait_for, wait_until

__all__ = ["DEADLINE", "wait_for", "wait_until"]
