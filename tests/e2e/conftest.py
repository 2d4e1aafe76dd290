"""Fixtures of the end-to-end tests."""

from tests.e2e.channels import shop
from tests.e2e.families import family
from tests.e2e.tenants import dashboard, tenant

__all__ = ["dashboard", "family", "shop", "tenant"]
