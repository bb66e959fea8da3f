from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def stock(clinic: Any) -> Any:
    """The demo clinic plus the demo ledger (storage, products, one receipt at West Des Moines)."""
    from ketaflow.ledger.demo import load_demo_ledger

    load_demo_ledger()
    return clinic
