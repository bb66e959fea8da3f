"""Replay every curl line of docs/api.md against the test server (Django test client) and check its status."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

from django.test import Client

from ketaflow.api.models import SCOPES
from ketaflow.api.tokens import api_token_create

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def curl_lines() -> list[tuple[str, int]]:
    lines = []
    for line in DOC.read_text().splitlines():
        if line.startswith("curl "):
            command, expected = line.rsplit("  # ", 1)
            lines.append((command, int(expected)))
    return lines


def parse(command: str, env: dict[str, str]) -> dict[str, Any]:
    # Expand like the shell: values are inserted literally (their quotes escaped), never re-parsed.
    for name in sorted(env, key=len, reverse=True):
        value = env[name].replace("\\", "\\\\").replace('"', '\\"')
        command = re.sub(rf"(?<!\\)\${name}\b", lambda _m, v=value: v, command)
    words = shlex.split(command)
    assert words[0] == "curl"
    request: dict[str, Any] = {"method": "GET", "headers": {}, "data": None, "url": None}
    i = 1
    while i < len(words):
        word = words[i]
        if word in ("-s", "-i"):
            pass
        elif word == "-X":
            i += 1
            request["method"] = words[i]
        elif word == "-H":
            i += 1
            name, value = words[i].split(":", 1)
            request["headers"][name.strip()] = value.strip()
        elif word in ("-d", "--data"):
            i += 1
            request["data"] = words[i]
            if request["method"] == "GET":
                request["method"] = "POST"
        else:
            request["url"] = word
        i += 1
    return request


def test_docs_have_curl_examples() -> None:
    assert len(curl_lines()) >= 10


def test_every_curl_line_in_the_api_docs_runs(clinic: Any) -> None:
    from ketaflow.patients.demo import load_demo_chart_data
    from ketaflow.patients.models import Patient
    from ketaflow.scheduling.models import ConsultationType
    from ketaflow.scheduling.selectors import slot_search

    load_demo_chart_data()
    _t, token = api_token_create(user=clinic.user("mia"), scopes=list(SCOPES), days=1)
    _t, nurse = api_token_create(user=clinic.user("nina"), scopes=["read:schedule"], days=1)
    patient = Patient.objects.filter(preferred_location=clinic.wdm, questionnaires__isnull=False).first()
    slot = slot_search(
        consultation_type=ConsultationType.objects.get(slug="new-patient-consultation"),
        location_ids=[clinic.wdm.pk],
        provider_ids=[clinic.user("paul").pk],
    )[3]
    env = {
        "KETAFLOW": "http://testserver",
        "TOKEN": token,
        "NURSE_TOKEN": nurse,
        "LOCATION": str(clinic.wdm.uuid),
        "PROVIDER": str(clinic.user("paul").uuid),
        "PATIENT": str(patient.uuid),
        "STARTS_AT": slot.start.isoformat().replace("+00:00", "Z"),
        "APPOINTMENT": "",
        "ETAG": "",
    }
    client = Client()
    for command, expected in curl_lines():
        request = parse(command, env)
        url = request["url"].removeprefix("http://testserver")
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request["headers"].items()}
        content_type = headers.pop("HTTP_CONTENT_TYPE", "application/json")
        method = getattr(client, request["method"].lower())
        if request["data"] is not None:
            response = method(url, data=request["data"], content_type=content_type, **headers)
        else:
            response = method(url, **headers)
        assert response.status_code == expected, (command, response.status_code, response.content[:300])
        if request["method"] == "POST" and url == "/api/v1/appointments" and response.status_code == 201:
            env["APPOINTMENT"] = json.loads(response.content)["uuid"]
        if request["method"] == "GET" and response.has_header("ETag"):
            env["ETAG"] = response["ETag"]
