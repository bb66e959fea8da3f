"""`ketaflow score`: JSON shape for every instrument, skip-logic blanks, exit 2 on malformed answers."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketaflow.domain.instruments import get_instrument, instrument_ids

KETAFLOW = Path(sys.executable).parent / "ketaflow"


def run_score(*args, **options):
    out = StringIO()
    call_command("score", *args, stdout=out, **options)
    return out.getvalue()


def test_phq9_example_prints_the_documented_json():
    output = run_score("phq9", answers="1,2,0,3,1,0,2,1,0", json=True)
    assert json.loads(output) == {
        "instrument": "phq9",
        "total": 10,
        "band": "moderate",
        "flags": [],
        "complete": True,
    }


def test_list_prints_every_instrument_id_as_json():
    assert json.loads(run_score(list_instruments=True, json=True)) == instrument_ids()


@pytest.mark.parametrize("instrument_id", instrument_ids())
def test_every_listed_instrument_answers_with_the_same_json_shape(instrument_id):
    lowest = ",".join(str(min(item.values)) for item in get_instrument(instrument_id).items)
    data = json.loads(run_score(instrument_id, answers=lowest, json=True))
    assert set(data) == {"instrument", "total", "band", "flags", "complete"}
    assert data["instrument"] == instrument_id


def test_skipped_items_may_be_empty_or_dash():
    dashes = json.loads(run_score("cssrs_screener", answers="1,0,-,-,-,0,-", json=True))
    blanks = json.loads(run_score("cssrs_screener", answers="1,0,,,,0,", json=True))
    assert dashes == blanks
    assert dashes["band"] == "low"
    assert dashes["flags"] == ["suicidality"]


def test_item_9_flag_appears_in_the_json():
    data = json.loads(run_score("phq9", answers="0,0,0,0,0,0,0,0,1", json=True))
    assert data["flags"] == ["suicidality"]


def test_details_are_printed_on_request():
    data = json.loads(
        run_score("qids_sr16", answers="1,3,0,2," + ",".join(["0"] * 12), json=True, details=True)
    )
    assert data["details"]["domains"]["sleep"] == 3


def test_text_output_is_one_readable_line():
    assert run_score("gad7", answers="3,3,3,3,3,0,0").strip() == "gad7: total 15; band severe; complete"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ("1,2", "phq9 expects 9 answers, got 2"),
        ("1,2,0,3,1,0,2,1,7", "phq9 item 9 (self_harm): answer 7 is not one of 0..3"),
        ("1,2,0,x,1,0,2,1,0", "answer 4 is 'x': write a whole number, or leave it empty or '-'"),
    ],
)
def test_malformed_answers_raise_a_command_error_with_exit_code_2(answers, message):
    with pytest.raises(CommandError) as error:
        run_score("phq9", answers=answers, json=True)
    assert str(error.value) == message
    assert error.value.returncode == 2


def test_unknown_instrument_is_refused():
    with pytest.raises(CommandError, match="unknown instrument 'beck'"):
        run_score("beck", answers="1")


def test_command_line_exits_2_with_one_line_on_stderr():
    env = {**os.environ, "KETAFLOW_TESTING": "1"}
    completed = subprocess.run(
        [str(KETAFLOW), "score", "phq9", "--answers", "1,2,0,3,1,0,2,1,4", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == ["error: phq9 item 9 (self_harm): answer 4 is not one of 0..3"]
