"""Reads the worked examples in docs/worked-examples.md, so a test can hold the docs to the figures the code
computes: the table after a `<!-- example: NAME -->` marker is that example's figures, one per row, the label in
the first column and the amount (₦ and thousands separators allowed) in the last."""

import re
from decimal import Decimal
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "worked-examples.md"
_MARKER = re.compile(r"<!--\s*example:\s*([\w-]+)\s*-->")


def worked_example(name: str) -> dict[str, Decimal]:
    """The figures of one example, in table order: {label: amount}. Fails loudly if the example is missing."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        match = _MARKER.search(line)
        if match and match.group(1) == name:
            return _table(lines[index + 1 :])
    raise AssertionError(f"docs/worked-examples.md has no example named {name!r}")


def _table(lines: list[str]) -> dict[str, Decimal]:
    figures: dict[str, Decimal] = {}
    started = False
    for line in lines:
        if not line.strip().startswith("|"):
            if started:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        started = True
        if set(cells[-1]) <= set("-: ") or not re.search(r"\d", cells[-1]):
            continue  # the separator row, or the header
        amount = cells[-1].replace("₦", "").replace(",", "").replace(" ", "")
        figures[cells[0]] = Decimal(amount)
    if not figures:
        raise AssertionError("the example's marker is not followed by a table of figures")
    return figures
