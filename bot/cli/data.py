"""Loading and exporting a city's data: `gridcare import`, `export`, `demo-data`."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from bot.app import Runtime
from bot.cli.common import console, errors, fail, progress_bar, runtime
from bot.cli.obligations import catch_up_everybody, rebuild_everybody
from bot.demo import generate_demo_city
from handlers.render import Renderer
from models.audit import Actor
from models.services.directory.entries import NotFound, area_by_code
from models.services.family.notices import tell_reassignment
from models.services.notify import Notifier
from models.services.spreadsheets import exporting, importing, record_export, tables
from models.validation import explained

PROBLEMS_SHOWN = 50  # problems printed of a bad file; the rest are counted


class ImportKind(StrEnum):
    areas = "areas"
    workers = "workers"
    persons = "persons"


class ExportKind(StrEnum):
    persons = "persons"
    records = "records"


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def import_cmd(
    kind: ImportKind,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate only, write nothing"),
) -> None:
    """Import areas, workers or persons from CSV or XLSX (Chinese or English headers)."""
    with runtime() as rt:
        limit = rt.settings.import_max_rows
        texts = import_texts(rt)
        try:
            rows = tables.read_table(file, max_rows=limit, columns=tables.COLUMNS[kind.value])
        except tables.TooManyRows:
            raise fail(texts["im_too_many_rows"].format(file=file, limit=limit)) from None
        except ValueError as exc:
            raise fail(f"cannot read {file}: {exc}") from None
        with rt.db.unit_of_work() as session:
            plan = importing.plan_import(session, kind.value, rows)
            del rows  # the plan holds what it needs
            if plan.errors:
                print_problems(plan.errors, texts)
                raise typer.Exit(1)
            _apply(rt, session, kind, plan, dry_run=dry_run)
        if kind is ImportKind.persons and not dry_run:
            # the new and changed persons' obligations worked out now, batch by batch, not by the
            # first morning on the chat's path (the import itself has no day to work them out for)
            catch_up_everybody(rt)


def import_texts(rt: Runtime) -> dict[str, str]:
    """The import's texts in the CLI's language (GRIDCARE_LOCALE, zh_CN by default)."""
    return Renderer(rt.tz, default_locale=rt.settings.locale).labels(rt.settings.locale)


def print_problems(
    problems: Sequence[importing.RowError], texts: Mapping[str, str], shown: int = PROBLEMS_SHOWN
) -> None:
    """The first `shown` problems, one line each, then how many more: a file with a mistake on every
    row gives a screenful, not hundreds of thousands of lines. Plain text (markup off): a cell's text
    in a message is shown as it is, never taken as rich markup."""
    errors.print(texts["im_summary"].format(count=len(problems)), markup=False, highlight=False)
    for problem in problems[:shown]:
        message = explained(problem, texts)
        line = texts["im_line"].format(row=problem.row, column=problem.column or "-", message=message)
        errors.print(line, markup=False, highlight=False, soft_wrap=True)
    if len(problems) > shown:
        more = texts["im_more"].format(more=len(problems) - shown)
        errors.print(more, markup=False, highlight=False)


def _apply(
    rt: Runtime, session: Session, kind: ImportKind, plan: importing.ImportPlan, *, dry_run: bool
) -> None:
    """Write a checked plan (not in a dry run) and tell the families of persons it reassigned."""
    if dry_run:
        console.print(f"{len(plan.items)} {kind} rows are valid (dry run: nothing written)")
        return
    now = rt.clock.now()
    with progress_bar() as bar:
        task = bar.add_task(f"importing {kind}", total=len(plan.items))
        result = importing.apply_import(
            session,
            plan,
            keys=rt.keys,
            actor=Actor.cli(),
            now=now,
            progress=lambda done: bar.update(task, completed=done),
        )
    told = tell_families(session, rt.job_context(session, now), result.reassigned, now=now)
    console.print(f"{kind}: {result.created} created, {result.updated} updated")
    if result.reassigned:
        console.print(
            f"{len(result.reassigned)} person(s) have another responsible worker; "
            f"{told} family member(s) told the new contact"
        )


def tell_families(
    session: Session, notifier: Notifier, reassigned: Sequence[importing.Reassigned], *, now: datetime
) -> int:
    """Queue, in the import's unit of work, the new contact card for the families of every person the
    file gave another worker (as a reassignment in the chat does); how many family accounts were told."""
    return sum(
        tell_reassignment(session, notifier, r.person_id, r.old_worker_id, r.new_worker_id, now=now)
        for r in reassigned
    )


def export_cmd(
    kind: ExportKind,
    area: str = typer.Option(..., "--area", help="area code: its whole subtree is exported"),
    fmt: Format = typer.Option(Format.xlsx, "--format"),
    output: Path | None = typer.Option(None, "--output", "-o"),
    with_sensitive: bool = typer.Option(False, "--with-sensitive", help="include ID number, phone, address"),
) -> None:
    """Export persons or records of an area's subtree to CSV or XLSX."""
    output = output or Path(f"{kind}-{area}.{fmt}")
    with runtime() as rt, rt.db.unit_of_work() as session:
        try:
            if kind is ExportKind.persons:
                headers, rows = exporting.export_persons(
                    session,
                    area,
                    keys=rt.keys,
                    actor=Actor.cli(),
                    now=rt.clock.now(),
                    with_sensitive=with_sensitive,
                )
                sheets = {kind.value: (headers, rows)}
            else:
                locale = rt.settings.locale
                records = record_export.export_records(
                    session,
                    area,
                    actor=Actor.cli(),
                    now=rt.clock.now(),
                    tz=rt.tz,
                    labels=Renderer(rt.tz, default_locale=locale).labels(locale),
                    locale=locale,
                )
                (headers, rows), sheets = records.flat, records.workbook()
        except NotFound:
            raise fail(f"no area with code {area}") from None
    total = len(rows) if fmt is Format.csv else sum(len(table[1]) for table in sheets.values())
    with private_file(output) as partial, progress_bar() as bar:
        task = bar.add_task(f"writing {kind}", total=total)

        def advance(done: int) -> None:
            bar.update(task, completed=done)

        if fmt is Format.csv:
            exporting.write_csv(partial, headers, rows, progress=advance)
        else:
            exporting.write_xlsx(partial, sheets, progress=advance)
    console.print(f"{len(rows)} rows written to {output}")


@contextmanager
def private_file(path: Path) -> Iterator[Path]:
    """A file beside `path`, created 0600 before a byte is written and renamed onto `path` once
    complete: an export (names, statuses; with --with-sensitive ID numbers, phones, addresses) is
    never readable by others, not even while written, nor through an older file's looser mode."""
    partial = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def demo_data_cmd(
    persons: int = typer.Option(1000, "--persons", min=1),
    seed: int = typer.Option(1, "--seed"),
) -> None:
    """Fill the database with a synthetic, obviously fake city (deterministic per seed)."""
    with runtime() as rt:
        with progress_bar() as bar:
            task = bar.add_task("generating", total=persons)
            try:
                summary = rt.db.call(
                    generate_demo_city,
                    persons=persons,
                    seed=seed,
                    keys=rt.keys,
                    now=rt.clock.now(),
                    progress=lambda done: bar.update(task, completed=done),
                )
            except ValueError as exc:
                raise fail(str(exc)) from None
        with rt.db.unit_of_work() as session:
            city = area_by_code(session, summary.city_code)
        # everybody's obligations worked out now, not by the first morning on the chat's path
        rebuild_everybody(rt, area_path=city.path)
    console.print(
        f"demo city {summary.city_code}: {summary.areas} areas, {summary.workers} workers, "
        f"{summary.persons} persons, {summary.records} records, {summary.families} family members"
    )


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
    app.command("export")(export_cmd)
    app.command("demo-data")(demo_data_cmd)
