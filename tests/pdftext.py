"""An invoice PDF's text as Poppler's pdftotext reads it (Debian's poppler-utils, installed by `make pdftotext`):
each label with its amount on one line, as a person reads the totals box.

`-raw` keeps the text in the order the page writes it. `-layout` would place it by position, but on a sandbox
PDF the letters of the diagonal "SANDBOX — NOT A TAX INVOICE" watermark split the totals rows: it prints
"Amount paid" and "Amount due" two lines above their amounts.
"""

import re
import subprocess
import tempfile
from pathlib import Path


def pdf_lines(pdf: bytes | Path) -> list[str]:
    """The text lines of every page, blank ones left out and runs of spaces made one."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(pdf) if isinstance(pdf, Path) else Path(folder) / "document.pdf"
        if isinstance(pdf, bytes):
            path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]


def line_with(lines: list[str], label: str) -> str:
    """The one line that starts with `label` (e.g. "Amount paid"), as it reads on the page."""
    found = [line for line in lines if line.startswith(label)]
    assert len(found) == 1, (label, lines)
    return found[0]
