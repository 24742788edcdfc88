"""What every ``policyqa`` command shares: settings from flags, the error exit, JSON output.

A :class:`PolicyError` becomes one error here (exit code 1; usage errors 2): with ``--json``
the error object ``{"error": {code, message, fix}}`` on stdout, else message and fix on
stderr. With ``--json`` a usage error (a missing argument, ``-k ten``, ``--mode fuzzy``) and
any other click error are that error object too — code ``bad_request`` (``error`` for a
click error that is not about usage), exit code 1 — never click's usage text, which a
program reading stdout could not parse. Anything else is a bug and shows its traceback.
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


def wants_json(args: list[str]) -> bool:
    """True when a command line asks for ``--json`` (as an option: not after ``--``)."""
    return "--json" in (args[: args.index("--")] if "--" in args else args)


class PolicyGroup(click.Group):
    """The ``policyqa`` group: a PolicyError from any command becomes the one error exit
    (the JSON object when the command line asks for ``--json``, as do click's own usage
    errors then)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # the whole command line, read here: Group.invoke empties ctx.args before the command runs
        ctx.meta["policyqa.json"] = wants_json(list(args))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        as_json = bool(ctx.meta.get("policyqa.json"))
        try:
            return super().invoke(ctx)
        except PolicyError as exc:
            raise PolicyClickError(exc, as_json) from exc
        except PolicyClickError as exc:
            exc.as_json = exc.as_json or as_json  # (a command's domain_errors() that did not pass it on)
            raise
        except click.ClickException as exc:
            if not as_json:
                raise
            raise PolicyClickError(click_error(exc), as_json=True) from exc


def click_error(exc: click.ClickException) -> PolicyError:
    """A click error as the PolicyError it stands for: a usage error (bad or missing argument
    or option) is ``bad_request`` with the command's ``--help`` as the fix."""
    if isinstance(exc, click.UsageError):
        command = exc.ctx.command_path if exc.ctx is not None else "policyqa"
        return PolicyError("bad_request", exc.format_message(), f"see `{command} --help`")
    return PolicyError("error", exc.format_message())


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
