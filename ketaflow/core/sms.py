"""Pluggable SMS backends. The console backend writes messages to var/sms/ (development and tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class SmsBackend:
    def send(self, message: SmsMessage) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Appends each message as one JSON line to var/sms/outbox.jsonl."""

    def send(self, message: SmsMessage) -> None:
        outbox = Path(settings.VAR_DIR) / "sms"
        outbox.mkdir(parents=True, exist_ok=True)
        line = {"to": message.to, "body": message.body, "sent_at": datetime.now(UTC).isoformat()}
        with (outbox / "outbox.jsonl").open("a") as handle:
            handle.write(json.dumps(line) + "\n")


def get_sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


class HttpSmsBackend(SmsBackend):
    """Posts JSON ``{"to", "body"}`` to SMS_HTTP_URL with a bearer token (adapt to your SMS provider).

    Any non-2xx answer raises SmsError so the caller can record the failure.
    """

    def __init__(self, url: str | None = None, token: str | None = None, timeout_s: float = 10.0) -> None:
        from ketaflow.config.env import env_str

        self.url = url or env_str("SMS_HTTP_URL")
        self.token = token if token is not None else env_str("SMS_HTTP_TOKEN", "")
        self.timeout_s = timeout_s

    def send(self, message: SmsMessage) -> None:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's configured SMS gateway
            self.url,
            data=json.dumps({"to": message.to, "body": message.body}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise SmsError(f"SMS gateway answered {response.status}")
        except urllib.error.HTTPError as exc:
            raise SmsError(f"SMS gateway answered {exc.code}") from exc
        except urllib.error.URLError as exc:
            raise SmsError(f"SMS gateway unreachable: {exc.reason}") from exc


class SmsError(RuntimeError):
    pass
