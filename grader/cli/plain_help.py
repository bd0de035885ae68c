"""typer's help without type tags (``<bool>``, ``<path>``) or braces around required arguments."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


def _no_type(ctx: Any) -> None:
    return None


def _plain(params: list[Any]) -> list[Any]:
    # Instance attributes shadow typer's methods for these parameters only; an option with a
    # metavar (--server URL) keeps it, a flag and an argument show their name alone.
    for param in params:
        if isinstance(param, TyperArgument):
            param.metavar = param.metavar or str(param.name).upper()
            shown = param.metavar + ("..." if param.nargs != 1 else "")
            setattr(param, "display_type_rich", _no_type)
            setattr(param, "_usage_display_name", lambda shown=shown: shown)
        elif isinstance(param, TyperOption) and (param.is_flag or param.metavar is None):
            setattr(param, "display_type_rich", _no_type)
    return params


class PlainCommand(TyperCommand):
    """A command whose --help reads like a man page."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


class PlainGroup(TyperGroup):
    """A group (``grader``, ``grader roster``) whose --help reads like a man page."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain(super().get_params(ctx))


def plain_help(app: typer.Typer) -> typer.Typer:
    """Give ``app``, its commands and its sub-apps the plain help (call after registering them)."""
    app.info.cls = PlainGroup
    for command in app.registered_commands:
        command.cls = PlainCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            plain_help(group.typer_instance)
    return app

