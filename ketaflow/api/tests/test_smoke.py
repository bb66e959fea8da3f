from typing import Any

from django.test import Client


def test_openapi_and_basic_reads(clinic: Any, make_token: Any) -> None:
    c = Client()
    r = c.get("/api/v1/openapi.json")
    assert r.status_code == 200, r.content
    token = make_token("mia")
    h = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for url in [
        "/api/v1/me",
        "/api/v1/locations",
        "/api/v1/appointments",
        "/api/v1/patients",
        "/api/v1/audit-events",
        "/api/v1/consultation-types",
    ]:
        r = c.get(url, **h)
        print(url, r.status_code, r.content[:300])
        assert r.status_code == 200
    r = c.get("/api/v1/patients")
    print(r.status_code, r["Content-Type"], r.content)
