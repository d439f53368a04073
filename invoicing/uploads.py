"""What an uploaded CSV must be before it becomes a batch: within the size limit, named .csv, and text, not a
workbook, PDF or image saved or picked by mistake.

The portal form and the API both ask csv_upload_refusal(), so they refuse the same files with the same words;
each turns the refusal into its own answer (a form error; JSON 413 or 400). Such a file never becomes a batch:
there is nothing in it to preview. Rows and columns are checked later, per batch (invoicing/batches/).
"""

from dataclasses import dataclass

from django.conf import settings

from invoicing.batches import MAX_ROWS

FIX = "Save the sheet as “CSV UTF-8 (comma delimited)” and upload that file."

# The first bytes of the files people upload instead of their CSV export.
SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97–2003 workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xff\xfe", "UTF-16 text (Excel's “Unicode Text”)"),
    (b"\xfe\xff", "UTF-16 text"),
)


@dataclass(frozen=True)
class Refusal:
    message: str
    code: str  # file_too_large | not_csv | bad_encoding
    status: int  # the API's answer: 413 when too large, else 400


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size / 1024:g} KB"


def csv_upload_refusal(file, *, utf8: bool = True) -> Refusal | None:
    """Why `file` (an UploadedFile) cannot be a CSV batch, or None. With `utf8`, a file that is not UTF-8 is
    refused here too; without it, that is left to the batch, which names the line (the API's INVALID batch)."""
    limit = settings.CSV_UPLOAD_MAX_BYTES
    if (file.size or 0) > limit:
        return Refusal(
            f"The file is larger than {_megabytes(limit)}. Split it into several files of at most {MAX_ROWS:,} rows.",
            "file_too_large",
            413,
        )
    name = (file.name or "").rsplit("/", 1)[-1]
    if not name.lower().endswith(".csv"):
        return Refusal(f"“{name}” is not a .csv file. {FIX}", "not_csv", 400)
    file.seek(0)
    content = file.read(limit + 1)
    file.seek(0)
    for signature, kind in SIGNATURES:
        if content.startswith(signature):
            return Refusal(f"The file is {kind}, not CSV text. {FIX}", "not_csv", 400)
    nul = content.find(b"\x00")
    if nul != -1:
        return Refusal(
            f"The file holds binary data (a NUL byte at byte {nul + 1:,}), so it is not CSV text. {FIX}",
            "not_csv",
            400,
        )
    if utf8:
        try:
            content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = content[: exc.start].count(b"\n") + 1
            return Refusal(
                f"The file is not UTF-8 text: byte 0x{content[exc.start]:02x} on line {line} cannot be read. {FIX}",
                "bad_encoding",
                400,
            )
    return None
