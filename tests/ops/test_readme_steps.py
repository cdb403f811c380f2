"""README's deployment steps are commands this test runs (issue 18), in order, against a real
database and the local Bot API server; docs/operations.md shows the same block. The last step,
`gridcare run --webhook`, is what tests/e2e/test_webhook_processes.py runs in subprocesses."""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from models.services.spreadsheets.import_doc import columns_markdown
from tests.e2e.harness import TOKEN, local_api

ROOT = Path(__file__).resolve().parents[2]
MARK = "<!-- the steps: tests/ops/test_readme_steps.py runs these commands -->"
runner = CliRunner()


def steps(path: Path) -> list[list[str]]:
    """The commands of the marked block, without their comments."""
    text = path.read_text(encoding="utf-8")
    block = re.search(re.escape(MARK) + r"\n```sh\n(.*?)```", text, re.DOTALL)
    assert block is not None, f"{path.name} has no marked block of steps"
    return [shlex.split(line.split("#")[0]) for line in block.group(1).splitlines() if line.strip()]


def test_docs_show_the_readme_steps():
    assert steps(ROOT / "docs" / "operations.md") == steps(ROOT / "README.md")


def test_readme_tells_a_new_operator_to_run_doctor_first():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Run `gridcare doctor` first" in readme
    assert "../shared/" not in readme, "the domain brief is in docs/ now"


async def test_the_readme_steps_run_in_order(db_url, tmp_path, monkeypatch):
    commands = steps(ROOT / "README.md")
    assert [c[:2] for c in commands] == [
        ["gridcare", "keys"],
        ["gridcare", "db"],
        ["gridcare", "doctor"],
        ["gridcare", "backup"],
        ["gridcare", "run"],
    ]
    assert commands[-1][2] == "--webhook", "the process tests/e2e/test_webhook_processes.py runs"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDCARE_DATABASE_URL", db_url)
    monkeypatch.delenv("GRIDCARE_SECRET_KEY", raising=False)
    monkeypatch.setenv("GRIDCARE_BOT_TOKEN", TOKEN)
    async with local_api() as api:
        monkeypatch.setenv("GRIDCARE_API_URL", api.base_url)
        for command in commands[:-1]:
            result = await asyncio.to_thread(runner.invoke, app, command[1:])
            if command[1] == "keys":
                assert result.exit_code == 0, result.output
                monkeypatch.setenv("GRIDCARE_SECRET_KEY", result.output.strip().replace("k1:", "r1:"))
            elif command[1] == "doctor":
                failed = [line for line in result.output.splitlines() if line.startswith("✖")]
                # The test server runs with autovacuum off, which doctor rightly reports.
                assert all(line.startswith("✖ autovacuum: off on the server") for line in failed), failed
            else:
                assert result.exit_code == 0, result.output
    assert (tmp_path / "first.dump").exists()


def test_the_import_columns_table_is_current():
    documented = (ROOT / "docs" / "import-columns.md").read_text(encoding="utf-8")
    assert documented == columns_markdown(), (
        "run: python -m models.services.spreadsheets.import_doc > docs/import-columns.md"
    )
    for chinese in ("编号", "风险等级", "红色", "社区戒毒", "网格员"):
        assert chinese in documented


@pytest.mark.parametrize("kind", ["areas", "workers", "persons"])
def test_every_column_is_in_the_table(kind):
    from models.services.spreadsheets.tables import COLUMNS

    documented = (ROOT / "docs" / "import-columns.md").read_text(encoding="utf-8")
    for column in COLUMNS[kind]:  # type: ignore[index]
        assert f"| `{column.field}` | {column.zh} |" in documented


def test_the_configuration_table_names_every_setting():
    """README's tables of environment variables (Configuration, and the Mini App's) list each setting
    the bot reads, and no other."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `GRIDCARE_([A-Z_]+)` \|", readme, re.MULTILINE))
    assert listed == {name.upper() for name in Settings.model_fields}
