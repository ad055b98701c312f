"""How the upward spreadsheet prints: each sheet's print scale and smallest text size.

    .venv/bin/python bench/print_layout.py WORKBOOK.xlsx [WORKBOOK.xlsx ...]

Converts each workbook to PDF with LibreOffice headless (soffice --headless --convert-to
pdf, as an office without Excel would print it), reads every character's size with
pdfplumber and prints, per sheet: its pages, the print scale (the body text's printed size
against the 10 pt it is written in) and the smallest text on its pages.

A page belongs to the sheet whose name its page header carries (the workbook names every
page); in a workbook without such headers, a page with a title row (16 pt, scaled) starts
the next sheet.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pdfplumber
from openpyxl import load_workbook

BODY_POINTS = 10.5
TITLE_POINTS = 16.0
# Between the report's title, its round and the sheet's name in the page header.
SEPARATOR = " \u00b7 "


def to_pdf(workbook: Path, directory: Path) -> Path:
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(directory), str(workbook)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return directory / (workbook.stem + ".pdf")


def measure(workbook: Path) -> list[tuple[str, int, float, float]]:
    """(sheet, pages, scale, smallest size in points) for every sheet that printed."""
    names = load_workbook(workbook, read_only=True).sheetnames
    with tempfile.TemporaryDirectory() as directory:
        pdf = to_pdf(workbook, Path(directory))
        pages: list[tuple[str, list[float], str]] = []
        with pdfplumber.open(pdf) as document:
            for page in document.pages:
                sizes = [round(float(c["size"]), 2) for c in page.chars if c["text"].strip()]
                pages.append((page.extract_text() or "", sizes, ""))
    results: dict[str, tuple[int, list[float]]] = {}
    order: list[str] = []
    sheet_index = -1
    for text, sizes, _ in pages:
        if not sizes:
            continue
        header = text.splitlines()[0] if text else ""
        named = next((n for n in names if header.endswith(SEPARATOR + n)), None)
        if named is None:
            common = Counter(sizes).most_common(1)[0][0]
            if max(sizes) >= common * (TITLE_POINTS / BODY_POINTS) * 0.95:
                sheet_index += 1
            named = names[min(max(sheet_index, 0), len(names) - 1)]
        if named not in results:
            order.append(named)
            results[named] = (0, [])
        count, collected = results[named]
        results[named] = (count + 1, collected + sizes)
    rows = []
    for name in order:
        count, sizes = results[name]
        body = Counter(sizes).most_common(1)[0][0]
        rows.append((name, count, body / BODY_POINTS, min(sizes)))
    return rows


def main(paths: list[str]) -> None:
    for raw in paths:
        path = Path(raw)
        print(f"{path.name}")
        print(f"  {'sheet':<24} pages  scale  smallest")
        for name, count, scale, smallest in measure(path):
            print(f"  {name:<24} {count:>5}  {scale:>4.0%}  {smallest:>5.1f} pt")


if __name__ == "__main__":
    main(sys.argv[1:])
