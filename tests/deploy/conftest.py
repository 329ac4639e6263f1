"""Fixtures for the deployment tests."""

from tests.support.postgres import postgres_url  # noqa: F401  (a pytest fixture, used by name)
