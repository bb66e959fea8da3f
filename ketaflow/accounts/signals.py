from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from ketaflow.core.audit import Action, audit


@receiver(user_logged_in)
def _audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit(Action.LOGIN, actor=user, detail="password accepted")


@receiver(user_login_failed)
def _audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Only the username is recorded, never the password.
    audit(
        Action.LOGIN_FAILED, actor_label=str(credentials.get("username", ""))[:150], detail="wrong password"
    )
