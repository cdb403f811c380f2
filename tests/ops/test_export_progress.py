"""An export reports its progress as rows are written (the CLI's progress bar), up to the total."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from models.services.spreadsheets.exporting import write_csv, write_xlsx

HEADERS = ["code", "name"]


def _rows(n: int, prefix: str = "P") -> list[list[object]]:
    return [[f"{prefix}-{i}", f"name {i}"] for i in range(n)]


def test_a_csv_export_reports_every_500_rows_and_the_total(tmp_path: Path):
    seen: list[int] = []
    write_csv(tmp_path / "out.csv", HEADERS, _rows(1200), progress=seen.append)
    assert seen == [500, 1000, 1200]
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as file:
        assert len(list(csv.reader(file))) == 1201


def test_an_xlsx_export_counts_the_rows_of_every_sheet(tmp_path: Path):
    seen: list[int] = []
    sheets = {"persons": (HEADERS, _rows(700)), "records": (HEADERS, _rows(400, "R"))}
    write_xlsx(tmp_path / "out.xlsx", sheets, progress=seen.append)
    assert seen == [500, 700, 1000, 1100]
    workbook = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert workbook["records"].max_row == 401
