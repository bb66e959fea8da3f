"""Nearest location on the web page (ZIP or browser position) and the `ketaflow locations nearest` CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from ketaflow.clinics.models import Location
from ketaflow.domain.geo import INVALID_ZIP, UNKNOWN_ZIP

pytestmark = pytest.mark.django_db

URL = reverse("public:locations")
KETAFLOW = Path(sys.executable).parent / "ketaflow"


def ranked_names(html: str) -> list[str]:
    section = html[html.index('id="ranked-heading"') :]
    return re.findall(r'<h3 id="loc-[a-z-]+"><span>([^<]+?)\s*(?:<|</span>)', section)


def test_both_locations_are_listed_before_any_search(clinic: Any) -> None:
    html = Client().get(URL).content.decode()
    assert "West Des Moines" in html and "Des Moines" in html
    assert "Nearest to" not in html and " miles</span>" not in html


@pytest.mark.parametrize(
    ("zip_code", "nearest"),
    [("50265", "West Des Moines"), ("50266", "West Des Moines"), ("50309", "Des Moines")],
)
def test_zip_code_ranks_both_locations_nearest_first_with_miles(
    clinic: Any, zip_code: str, nearest: str, django_assert_num_queries: Any
) -> None:
    # Expect 2 queries: active locations, their opening hours (prefetch). The ZIP lookup is in memory.
    with django_assert_num_queries(2):
        response = Client().post(URL, {"zip_code": zip_code})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Nearest to ZIP code {zip_code}" in html
    assert ranked_names(html)[0] == nearest
    assert sorted(ranked_names(html)) == ["Des Moines", "West Des Moines"]
    assert html.count(" miles</span>") == 2
    assert html.count('class="nearest-badge"') == 1


@pytest.mark.parametrize(
    ("zip_code", "message"),
    [
        ("5026", INVALID_ZIP),
        ("abcde", INVALID_ZIP),
        ("00000", UNKNOWN_ZIP.format(zip_code="00000")),
        ("", "Enter a ZIP code, or use your location."),
    ],
)
def test_invalid_or_unknown_zip_shows_a_clear_message_and_saves_nothing(
    clinic: Any, zip_code: str, message: str
) -> None:
    before = list(Location.objects.values())
    response = Client().post(URL, {"zip_code": zip_code})
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert 'aria-invalid="true"' in html
    assert "Nearest to" not in html
    assert list(Location.objects.values()) == before


def test_browser_position_ranks_locations(clinic: Any) -> None:
    html = (
        Client().post(URL, {"zip_code": "", "latitude": "41.5868", "longitude": "-93.6250"}).content.decode()
    )
    assert "Nearest to your location" in html
    assert ranked_names(html)[0] == "Des Moines"


def test_impossible_browser_position_is_refused_clearly(clinic: Any) -> None:
    html = Client().post(URL, {"latitude": "123", "longitude": "-93.6"}).content.decode()
    assert "Latitude must be between -90 and 90" in html
    assert "Nearest to" not in html


def test_inactive_locations_are_left_out(clinic: Any) -> None:
    Location.objects.filter(pk=clinic.dsm.pk).update(is_active=False)
    html = Client().post(URL, {"zip_code": "50309"}).content.decode()
    assert html.count(" miles</span>") == 1


# --- CLI ---------------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("locations", *args, stdout=out)
    return out.getvalue()


def test_cli_prints_the_json_document_nearest_first(clinic: Any) -> None:
    data = json.loads(run("nearest", "--zip", "50266", "--json"))
    assert data["zip"] == "50266"
    assert [item["name"] for item in data["locations"]] == ["West Des Moines", "Des Moines"]
    assert data["locations"][0]["distance_miles"] == 0.0  # the demo site sits on the ZIP centroid
    assert data["locations"][1]["distance_miles"] == round(data["locations"][1]["distance_miles"], 2)
    assert data["locations"][0]["distance_miles"] <= data["locations"][1]["distance_miles"]


def test_cli_text_output(clinic: Any) -> None:
    text = run("nearest", "--zip", "50309")
    assert text.splitlines()[0] == "Nearest to ZIP 50309:"
    assert text.splitlines()[1].startswith("1. Des Moines: ")


@pytest.mark.parametrize("zip_code", ["5026", "00000"])
def test_cli_invalid_zip_is_an_error(clinic: Any, zip_code: str) -> None:
    with pytest.raises(CommandError) as error:
        run("nearest", "--zip", zip_code, "--json")
    assert error.value.returncode == 2


def test_cli_invalid_zip_exits_2_with_one_line_on_stderr(tmp_path: Path) -> None:
    env = {**os.environ, "DEBUG": "1", "KETAFLOW_VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [str(KETAFLOW), "locations", "nearest", "--zip", "ABCDE", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"error: {INVALID_ZIP}\n"
