from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from ketaflow.api.models import SCOPES


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_token(clinic: Any) -> Any:
    from ketaflow.api.tokens import api_token_create

    def make(name: str, scopes: list[str] | None = None, days: int = 30) -> str:
        _token, raw = api_token_create(user=clinic.user(name), scopes=scopes or list(SCOPES), days=days)
        return raw

    return make
