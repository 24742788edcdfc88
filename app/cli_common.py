"""What every ``policyqa`` command shares: settings from flags, the error exit, JSON output.

A :class:`PolicyError` becomes one error here (exit code 1; usage errors 2): with ``--json``
the error object ``{"error": {code, message, fix}}`` on stdout, else message and fix on
stderr. Anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import click

from corpus.config import Settings, get_settings
from corpus.errors import PolicyError


def settings_for(home: str | None) -> Settings:
    """Settings from the environment with ``--home``; a bad ``POLICYQA_*`` value is a
    PolicyError, shown by :class:`PolicyGroup` like every other."""
    return get_settings().with_overrides(home=Path(home) if home else None)


class PolicyGroup(click.Group):
    """The ``policyqa`` group: a PolicyError from any command becomes the one error exit
    (the JSON object when the command line asks for ``--json``)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PolicyError as exc:
            raw = [*getattr(ctx, "protected_args", []), *ctx.args]
            raise PolicyClickError(exc, as_json="--json" in raw) from exc


class PolicyClickError(click.ClickException):
    """A PolicyError on the way out: the JSON error object or message + fix."""

    def __init__(self, error: PolicyError, as_json: bool):
        super().__init__(error.message)
        self.error, self.as_json = error, as_json

    def show(self, file=None) -> None:
        if self.as_json:
            click.echo(json.dumps(self.error.to_dict(), ensure_ascii=False))
        else:
            click.echo(f"Error: {self.error.message}" + (f" — {self.error.fix}" if self.error.fix else ""),
                       err=True)


@contextmanager
def domain_errors(as_json: bool = False):
    """Turn the errors users can fix into one clear error instead of a stack trace."""
    try:
        yield
    except PolicyError as exc:
        raise PolicyClickError(exc, as_json) from exc


def echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


home_option = click.option("--home", envvar="POLICYQA_HOME", help="Artifact home (default .policyqa/).")
