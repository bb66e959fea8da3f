"""The current request, for code deep in services that must record where a change came from."""

from __future__ import annotations

import ipaddress
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
    """The client's address, honouring KETAFLOW_TRUSTED_PROXIES (see ketaflow.public.ratelimit.client_ip)."""
    if request is None:
        return None
    from ketaflow.public.ratelimit import client_ip as proxied_client_ip

    address = proxied_client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:  # a forged or malformed forwarded header: record no address rather than garbage
        return None
