from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.core.cache import cache

_seed_migration = importlib.import_module("ketaflow.public.migrations.0002_seed_content")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def content(db: Any) -> None:
    """The seeded pages and FAQ (transactional tests elsewhere may have flushed the migration's rows)."""
    from django.apps import apps

    _seed_migration.seed(apps, None)
