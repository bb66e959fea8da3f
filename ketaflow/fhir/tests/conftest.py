from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def clinic(clinic: Any) -> Any:
    """The demo clinic with the demo charts filled in (weights, diagnoses, questionnaires, consents)."""
    from ketaflow.patients.demo import load_demo_chart_data

    load_demo_chart_data()
    return clinic
