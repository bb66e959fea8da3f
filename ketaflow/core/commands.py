"""Base class for Ketaflow's own management commands.

Conventions (issue #3): commands that print data accept ``--json`` and then print exactly one JSON
document on stdout; any error goes to stderr as one readable line with exit code 2.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

EXIT_USAGE = 2


class OneLineParser(CommandParser):
    """An argparse parser whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        if getattr(self, "called_from_command_line", False):
            sys.stderr.write(f"error: {message}\n")
            sys.exit(EXIT_USAGE)
        raise CommandError(f"Error: {message}", returncode=EXIT_USAGE)


class KetaflowCommand(BaseCommand):
    """Adds ``--json`` and turns failures into one line on stderr with exit code 2."""

    json_output = True

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        self._one_line_errors(parser)
        return parser

    def _one_line_errors(self, parser: CommandParser) -> None:
        """Make the parser (and any sub-command parsers) report errors as one line."""
        parser.__class__ = OneLineParser
        parser.called_from_command_line = getattr(self, "_called_from_command_line", False)  # type: ignore[attr-defined]
        for action in parser._actions:
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict):
                for sub in choices.values():
                    self._one_line_errors(sub)

    def add_arguments(self, parser: CommandParser) -> None:
        if self.json_output:
            parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    def fail(self, message: str) -> NoReturn:
        raise CommandError(message, returncode=EXIT_USAGE)

    def emit(self, data: Any, text: str | None = None, *, as_json: bool) -> None:
        """Print ``data`` as one JSON document, or ``text`` (default: JSON pretty-printed)."""
        if as_json:
            self.stdout.write(json.dumps(data, default=str))
        else:
            self.stdout.write(text if text is not None else json.dumps(data, indent=2, default=str))

    def run_from_argv(self, argv: list[str]) -> None:
        self._called_from_command_line = True
        try:
            super().run_from_argv(argv)
        except SystemExit:
            raise
        except CommandError as exc:  # pragma: no cover - Django handles CommandError itself
            sys.stderr.write(f"error: {exc}\n")
            sys.exit(EXIT_USAGE)

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            if getattr(self, "_called_from_command_line", False):
                sys.stderr.write(f"error: {exc}\n")
                sys.exit(exc.returncode or EXIT_USAGE)
            raise
