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
