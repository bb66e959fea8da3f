"""Structured JSON logs. Never log patient data: messages carry ids, not names."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from ketaflow.core.request_context import current_request


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        request = current_request()
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request is not None:
            payload["request_id"] = getattr(request, "request_id", None)
            payload["path"] = request.path
        if record.exc_info:
            payload["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(payload)
