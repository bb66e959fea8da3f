"""``ketaflow api_token create --user U --scopes read:schedule,write:schedule --days 90`` (and list, revoke).

The secret is printed once; only its SHA-256 is stored.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from ketaflow.accounts.models import User
from ketaflow.api.models import ApiToken
from ketaflow.api.tokens import api_token_create, api_token_revoke
from ketaflow.core.commands import KetaflowCommand


class Command(KetaflowCommand):
    help = "Create, list or revoke scoped API tokens."
    json_output = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = sub.add_parser("create", help="create a token (printed once)")
        create.add_argument("--user", required=True)
        create.add_argument(
            "--scopes", required=True, help="comma-separated, e.g. read:schedule,write:schedule"
        )
        create.add_argument("--days", type=int, default=90)
        create.add_argument("--name", default="")
        create.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="list tokens (never the secrets)")
        listing.add_argument("--json", action="store_true")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix or uuid")
        revoke.add_argument("token")
        revoke.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                self.fail(f"no user {options['user']!r}")
            try:
                token, raw = api_token_create(
                    user=user, scopes=options["scopes"], days=options["days"], name=options["name"]
                )
            except ValueError as exc:
                self.fail(str(exc))
            data = {
                "token": raw,
                "uuid": str(token.uuid),
                "user": user.username,
                "scopes": token.scopes.split(","),
                "expires_at": token.expires_at.isoformat(),
            }
            self.emit(
                data,
                f"{raw}\n(shown once) user {user.username}, scopes {token.scopes}, expires {token.expires_at:%Y-%m-%d}",
                as_json=options["json"],
            )
        elif action == "list":
            rows = [
                {
                    "prefix": t.prefix,
                    "uuid": str(t.uuid),
                    "user": t.user.username,
                    "scopes": t.scopes,
                    "expires_at": t.expires_at.isoformat(),
                    "revoked": t.revoked_at is not None,
                }
                for t in ApiToken.objects.select_related("user")
            ]
            text = "\n".join(
                f"{r['prefix']}… {r['user']} {r['scopes']} expires {r['expires_at'][:10]}{' REVOKED' if r['revoked'] else ''}"
                for r in rows
            )
            self.emit({"tokens": rows}, text or "no tokens", as_json=options["json"])
        else:
            ref = options["token"]
            token = ApiToken.objects.filter(prefix=ref).first()
            if token is None:
                try:
                    token = ApiToken.objects.filter(uuid=ref).first()
                except Exception:  # noqa: BLE001 - not a uuid
                    token = None
            if token is None:
                self.fail(f"no token {ref!r}")
            api_token_revoke(token=token)
            self.emit({"revoked": str(token.uuid)}, f"revoked {token.prefix}…", as_json=options["json"])
