"""Reading a qualification handbook from disk as text for ``domain.handbook``.

* ``.md`` / ``.txt`` (and any other text file): UTF-8 (a byte-order mark is
  fine); anything else is refused with the line of the first bad byte.
* ``.docx`` (python-docx): converted to the same text conventions the Markdown
  export uses, so one parser reads both: headings become ``#`` lines, bold runs
  ``**bold**``, list paragraphs ``- item``, table rows one line with a tab between
  cells, and a blank line between paragraphs.
* ``.pdf`` is read by ``storage.handbook_pdf`` (``read_handbook`` there reads any of
  these); ``.doc`` is refused with what to do instead.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from .file_limits import (
    DOCX_MAX_BLOCKS,
    DOCX_MAX_BYTES,
    DOCX_MAX_ENTRIES,
    DOCX_MAX_ENTRY_BYTES,
    DOCX_MAX_RATIO,
    DOCX_MAX_TOTAL_BYTES,
    DOCX_MAX_XML_BYTES,
    HANDBOOK_TEXT_MAX_BYTES,
    MB,
    FileRefused,
    check_openable,
    human_size,
    located_text,
    read_bounded,
    shorten,
)

if TYPE_CHECKING:  # python-docx (and lxml) load only when a .docx is read
    from docx.table import Table
    from docx.text.paragraph import Paragraph


class HandbookReadError(Exception):
    """The handbook file cannot be read as text; the message says why and what to do."""


_REFUSED = {
    ".pdf": "a PDF is read by storage.handbook_pdf.read_handbook, not as text",
    ".doc": "old Word .doc files cannot be read: save it as .docx (Word: File > Save As)",
}


def read_handbook_text(path: Path) -> str:
    """The handbook's text with ``\\n`` line ends; raises :class:`HandbookReadError`."""
    path = Path(path)
    try:
        check_openable(path, what="handbook file")
    except FileRefused as refused:
        raise HandbookReadError(str(refused)) from None
    suffix = path.suffix.lower()
    if suffix in _REFUSED:
        raise HandbookReadError(f"{path}: {_REFUSED[suffix]}")
    if suffix == ".docx":
        return docx_text(path)
    return _utf8_text(path)


def _utf8_text(path: Path) -> str:
    try:
        data = read_bounded(path, HANDBOOK_TEXT_MAX_BYTES, what="handbook text file")
        if data.startswith(b"PK\x03\x04"):
            raise FileRefused(path, "looks like a Word or zip file", fix="name it .docx to read it as Word")
        return located_text(path, data, fix_encoding="save or export it as UTF-8, or as .docx")
    except FileRefused as refused:
        raise HandbookReadError(str(refused)) from None


# --- .docx -----------------------------------------------------------------------------


def docx_text(path: Path) -> str:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        check_docx_container(path)
    except FileRefused as refused:
        raise HandbookReadError(str(refused)) from None
    try:
        document = Document(str(path))
        return _document_text(document, Paragraph, Table, path)
    except FileRefused as refused:
        raise HandbookReadError(str(refused)) from None
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise HandbookReadError(f"{path}: is not a readable .docx file ({shorten(error, 200)}) "
                                "(fix: open it in Word and save it again as .docx)") from None
    except Exception as error:  # noqa: BLE001 - python-docx/lxml on a hostile file: any failure is "unreadable"
        raise HandbookReadError(f"{path}: is not a readable .docx file ({type(error).__name__}: "
                                f"{shorten(error, 200)}) (fix: open it in Word and save it again as .docx)") from None


def check_docx_container(path: Path) -> None:
    """Refuse a .docx whose zip could exhaust memory or time before python-docx opens it.

    Sizes come from the zip's central directory; ``zipfile`` never inflates an
    entry past its declared size, so checking them here bounds what reading costs.
    """
    info = check_openable(path, what=".docx file")
    if info.st_size > DOCX_MAX_BYTES:
        raise FileRefused(path, f"is {human_size(info.st_size)}, more than the {human_size(DOCX_MAX_BYTES)} "
                          "a handbook .docx may be", fix="check that this is the right file")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise FileRefused(path, f"is not a .docx file (not a readable zip: {shorten(error, 100)})",
                          fix="open it in Word and save it again as .docx") from None
    if len(entries) > DOCX_MAX_ENTRIES:
        raise FileRefused(path, f"holds {len(entries):,} parts, more than {DOCX_MAX_ENTRIES:,}",
                          fix="open it in Word and save it again as .docx")
    total = 0
    for entry in entries:
        name = shorten(entry.filename, 80)
        is_xml = entry.filename.lower().endswith((".xml", ".rels"))
        if is_xml and entry.file_size > DOCX_MAX_XML_BYTES:
            # python-docx parses every XML part whole: an XML part costs ~10 times its size in memory.
            raise FileRefused(path, f"part {name} unpacks to {human_size(entry.file_size)} of XML, more than "
                              f"{human_size(DOCX_MAX_XML_BYTES)}", fix="check that this is the right file, "
                              "or export the handbook's text as Markdown")
        if entry.file_size > DOCX_MAX_ENTRY_BYTES:
            raise FileRefused(path, f"part {name} unpacks to {human_size(entry.file_size)}, more than "
                              f"{human_size(DOCX_MAX_ENTRY_BYTES)}", fix="check that this is the right file")
        if entry.file_size > MB and entry.file_size > DOCX_MAX_RATIO * max(entry.compress_size, 1):
            raise FileRefused(path, f"part {name} is compressed {entry.file_size // max(entry.compress_size, 1):,} "
                              f"to 1 (a zip bomb?), more than {DOCX_MAX_RATIO} to 1",
                              fix="check that this is the right file")
        total += entry.file_size
    if total > DOCX_MAX_TOTAL_BYTES:
        raise FileRefused(path, f"unpacks to {human_size(total)}, more than {human_size(DOCX_MAX_TOTAL_BYTES)}",
                          fix="check that this is the right file")


def _document_text(document, Paragraph, Table, document_path: Path) -> str:  # noqa: N803 - the classes python-docx gives
    blocks: list[str] = []
    # python-docx looks a paragraph's style up by scanning every style, twice per call: ~2 ms a
    # paragraph, so a 190,000-paragraph file took minutes. Each style id is looked up once here.
    style_names: dict[str | None, str] = {}
    count = 0
    for item in document.iter_inner_content():
        count += 1
        if count > DOCX_MAX_BLOCKS:
            raise FileRefused(document_path, f"has more than {DOCX_MAX_BLOCKS:,} paragraphs and tables",
                              fix="check that this is the right file, or export the handbook's text as Markdown")
        if isinstance(item, Paragraph):
            style_id = item._p.style  # noqa: SLF001 - the raw w:pStyle value
            if style_id not in style_names:
                style = item.style
                style_names[style_id] = (style.name if style is not None else "") or ""
            text = _paragraph_text(item, style_names[style_id])
            if text.strip():
                blocks.append(text)
        elif isinstance(item, Table):
            rows = _table_rows(item)
            if rows:
                blocks.append("\n".join(rows))
    return "\n\n".join(blocks) + "\n"


def _paragraph_text(paragraph: Paragraph, style: str) -> str:
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
