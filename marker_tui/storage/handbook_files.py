"""Reading a qualification handbook from disk as text for ``domain.handbook``.

* ``.md`` / ``.txt`` (and any other text file): UTF-8 (a byte-order mark is
  fine); anything else is refused with the line of the first bad byte.
* ``.docx`` (python-docx): converted to the same text conventions the Markdown
  export uses, so one parser reads both: headings become ``#`` lines, bold runs
  ``**bold**``, list paragraphs ``- item``, table rows one line with a tab between
  cells, and a blank line between paragraphs.
* ``.pdf`` / ``.doc`` are refused with what to do instead.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # python-docx (and lxml) load only when a .docx is read
    from docx.table import Table
    from docx.text.paragraph import Paragraph


class HandbookReadError(Exception):
    """The handbook file cannot be read as text; the message says why and what to do."""


_REFUSED = {
    ".pdf": "a PDF cannot be read directly: export its text (Markdown or plain text) or save it as .docx",
    ".doc": "old Word .doc files cannot be read: save it as .docx (Word: File > Save As)",
}


def read_handbook_text(path: Path) -> str:
    """The handbook's text with ``\\n`` line ends; raises :class:`HandbookReadError`."""
    path = Path(path)
    if not path.exists():
        raise HandbookReadError(f"{path}: no such file")
    if path.is_dir():
        raise HandbookReadError(f"{path}: is a folder, not a handbook file")
    suffix = path.suffix.lower()
    if suffix in _REFUSED:
        raise HandbookReadError(f"{path}: {_REFUSED[suffix]}")
    if suffix == ".docx":
        return docx_text(path)
    return _utf8_text(path)


def _utf8_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise HandbookReadError(f"{path}: cannot be read ({error.strerror})") from None
    if data.startswith(b"PK\x03\x04"):
        raise HandbookReadError(f"{path}: looks like a Word or zip file; name it .docx to read it as Word")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise HandbookReadError(
            f"{path}: is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); "
            "save or export it as UTF-8, or as .docx"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- .docx -----------------------------------------------------------------------------


def docx_text(path: Path) -> str:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise HandbookReadError(f"{path}: is not a readable .docx file ({error})") from None
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = _paragraph_text(item)
            if text.strip():
                blocks.append(text)
        elif isinstance(item, Table):
            rows = _table_rows(item)
            if rows:
                blocks.append("\n".join(rows))
    return "\n\n".join(blocks) + "\n"


def _paragraph_text(paragraph: Paragraph) -> str:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = re.fullmatch(r"Heading (\d)", style)
    if heading or style == "Title":
        # Headings carry their structure in the "#"; bold markers would only be noise.
        level = int(heading[1]) if heading else 1
        return "#" * level + " " + " ".join(paragraph.text.split())
    text = _runs_text(paragraph)
    if style.startswith("List"):
        text = "- " + text.lstrip()
    return text


def _runs_text(paragraph: Paragraph) -> str:
    """The paragraph's text with bold runs wrapped in ``**`` (adjacent bold runs merged)."""
    parts: list[str] = []
    bold_open = False
    for run in paragraph.runs:
        text = run.text
        if not text:
            continue
        bold = bool(run.bold) and bool(text.strip())
        if bold != bold_open:
            parts.append("**")
            bold_open = bold
        parts.append(text)
    if bold_open:
        parts.append("**")
    return "".join(parts).replace("****", "")


def _table_rows(table: Table) -> list[str]:
    rows = []
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            if previous is not None and cell._tc is previous:  # a merged cell repeats itself
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append("\t".join(cells))
    return rows
