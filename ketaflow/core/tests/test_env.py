from __future__ import annotations

from typing import Any

import pytest

from ketaflow.config.env import ConfigError, env_bool, env_int, env_list, env_str


def test_env_helpers_read_typed_values(monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.setenv("K_BOOL", "yes")
    monkeypatch.setenv("K_INT", "42")
    monkeypatch.setenv("K_LIST", "a, b,,c")
    assert env_bool("K_BOOL") is True
    assert env_int("K_INT", 1) == 42
    assert env_list("K_LIST", []) == ["a", "b", "c"]
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv("K_SECRET_FILE", str(secret))
    assert env_str("K_SECRET") == "from-file"


@pytest.mark.parametrize(
    ("name", "value", "call"), [("K_BOOL", "maybe", env_bool), ("K_INT", "4x", lambda n: env_int(n, 0))]
)
def test_env_helpers_fail_loudly(monkeypatch: Any, name: str, value: str, call: Any) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        call(name)


def test_missing_required_variable_names_it(monkeypatch: Any) -> None:
    monkeypatch.delenv("K_REQUIRED", raising=False)
    with pytest.raises(ConfigError, match="K_REQUIRED is required"):
        env_str("K_REQUIRED")
