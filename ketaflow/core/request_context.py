"""The current request, for code deep in services that must record where a change came from."""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

_current: ContextVar[Any] = ContextVar("ketaflow_request", default=None)


def bind(request: Any) -> Token[Any]:
    return _current.set(request)


def reset(token: Token[Any]) -> None:
    _current.reset(token)


def current_request() -> Any:
    return _current.get()


def client_ip(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR")
