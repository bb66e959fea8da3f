"""The ``ketaflow`` console command: Django's management commands with Ketaflow's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.config.settings")
    from django.core.management import execute_from_command_line

    from ketaflow.config.env import ConfigError

    try:
        execute_from_command_line(["ketaflow", *(sys.argv[1:] if argv is None else argv)])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
