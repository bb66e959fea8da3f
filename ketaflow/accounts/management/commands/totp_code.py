from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser

from ketaflow.accounts.models import User
from ketaflow.accounts.services import totp_current_code, totp_device_for
from ketaflow.core.commands import KetaflowCommand


class Command(KetaflowCommand):
    help = "Print the current TOTP code of a demo account (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            self.fail("totp_code only works with DEBUG on (demo machines)")
        user = User.objects.filter(username=options["username"]).first()
        device = totp_device_for(user) if user else None
        if device is None:
            self.fail(f"no account with an authenticator named {options['username']!r}")
        code = totp_current_code(device)
        self.emit({"username": user.username, "code": code}, code, as_json=options["json"])  # type: ignore[union-attr]
