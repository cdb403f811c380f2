"""The access matrix is documented from the code: SECURITY.md embeds exactly what models.access says."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from models.access import MATRIX, Action, Principal
from models.access_doc import BEGIN_MARK, END_MARK, access_matrix_markdown, embed, embedded

SECURITY_MD = Path(__file__).resolve().parents[2] / "SECURITY.md"


def _table_rows(markdown: str) -> list[list[str]]:
    lines = [line for line in markdown.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_security_md_embeds_the_matrix_the_code_enforces():
    embedded_table = embedded(SECURITY_MD.read_text(encoding="utf-8"))
    assert embedded_table == access_matrix_markdown(), "run `gridcare access-matrix --write SECURITY.md`"


def test_every_action_is_a_row_and_every_cell_is_the_matrix_scope():
    rows = _table_rows(access_matrix_markdown())
    assert [row[0].split("`")[1] for row in rows] == [a.value for a in Action]
    for row in rows:
        action = Action(row[0].split("`")[1])
        expected = [MATRIX[action][p].value if p in MATRIX[action] else "—" for p in Principal]
        assert row[1:] == expected


def test_the_cli_prints_the_same_table_and_writes_it_between_the_marks(tmp_path):
    out = CliRunner().invoke(app, ["access-matrix"])
    assert out.exit_code == 0 and out.output == access_matrix_markdown()
    doc = tmp_path / "doc.md"
    doc.write_text(f"intro\n{BEGIN_MARK}\nstale table\n{END_MARK}\noutro\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["access-matrix", "--write", str(doc)]).exit_code == 0
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("outro\n") and "stale table" not in text
    assert embedded(text) == access_matrix_markdown()


def test_embedding_into_a_document_without_marks_is_an_error():
    with pytest.raises(ValueError, match="marks"):
        embed("no marks here", access_matrix_markdown())
