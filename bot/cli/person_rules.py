"""`gridcare person rules CODE [--file rules.toml | --clear]`: a person's own schedule rules.

Every number of the schedule is configurable per person (the domain README): an override is a
rules file like GRIDCARE_RULES_FILE (`[[rule]]` tables) whose obligations replace the locality's
for this one person. It is validated before it is stored (a typo fails here, not in the morning
sweep), the write and every read are audited, and without --file the command shows the rules in
force, saying so when a stored override is invalid and the locality's rules apply instead.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import console, fail, runtime
from models.audit import Actor
from models.schedule import RulesError, RuleSet
from models.services.directory.entries import NotFound
from models.services.obligations.override import (
    INVALID,
    PERSONAL,
    PersonRules,
    read_person_rules,
    set_person_rules,
)

person_app = typer.Typer(help="One person's record.", no_args_is_help=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {path}: {exc}") from None


def _show(view: PersonRules) -> None:
    if view.state == PERSONAL:
        console.print(f"{view.code}: own rules in force (they replace the local rules they name)")
    elif view.state == INVALID:
        console.print(
            f"[yellow]{view.code}: the stored own rules are invalid and ignored; the local rules apply[/]"
        )
        console.print(f"[yellow]problem: {escape(view.problem or '')}[/]")
    else:
        console.print(f"{view.code}: the local rules apply (no own rules)")
    own = set(RuleSet.from_toml(view.override or "").rules) if view.state == PERSONAL else set()
    table = Table("obligation", "every", "times", "colours", "programme years", "from")
    for rule in view.rules.rules:
        every = f"{rule.every} {rule.unit}" if rule.every != 1 else str(rule.unit)
        colours = ", ".join(sorted(rule.colours)) if rule.colours else "any"
        years = ", ".join(map(str, sorted(rule.programme_years))) if rule.programme_years else "any"
        source = "own" if rule in own else "local"
        table.add_row(str(rule.obligation), every, str(rule.times), colours, years, source)
    console.print(table)


def rules_cmd(
    code: str = typer.Argument(..., help="the person's code"),
    file: Path = typer.Option(None, "--file", help="TOML rules ([[rule]] tables) for this person"),
    clear: bool = typer.Option(False, "--clear", help="remove the person's own rules"),
) -> None:
    """Show a person's schedule rules, or set them from a file (validated, audited)."""
    if file is not None and clear:
        raise fail("give --file or --clear, not both")
    text = _read(file) if file is not None else None
    with runtime() as rt:
        common = {"base": rt.policy.rules, "actor": Actor.cli(), "now": rt.clock.now()}
        try:
            if file is not None or clear:
                view = rt.db.call(set_person_rules, code, text, **common)
            else:
                view = rt.db.call(read_person_rules, code, **common)
        except NotFound:
            raise fail(f"no person with code {code}") from None
        except RulesError as exc:
            raise fail(f"{file}: {exc}; nothing was changed") from None
    if file is not None or clear:
        console.print("saved" if text and text.strip() else "own rules removed")
    _show(view)


def register(app: typer.Typer) -> None:
    """Adds `person rules` to `gridcare`."""
    person_app.command("rules")(rules_cmd)
    app.add_typer(person_app, name="person")
