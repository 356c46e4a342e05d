"""Reading a PDF handbook as lines of text, page by page, for ``domain.handbook``.

PDFium (``pypdfium2``, the engine Chrome uses) gives every run of text with its
box. Runs are grouped into lines by their height on the page and ordered left to
right; a wide gap between two runs becomes two or more spaces, so table columns
stay apart the way ``pdftotext -layout`` keeps them and one parser reads both.
pdfminer-based extractors were tried first and took ~20 s on a 224-page handbook;
PDFium takes ~1 s.

Running headers, footers and page numbers are dropped afterwards by the pure
``domain.handbook_pages.join_pages``, which also keeps each line's page number
for messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..domain.handbook_pages import PagedText, join_pages, paged_text
from .handbook_files import HandbookReadError, read_handbook_text

#: A handbook is a few hundred pages and a few MB; far larger files are refused
#: before PDFium parses them, so a hostile file cannot tie up the terminal.
MAX_PDF_BYTES = 60 * 1024 * 1024
MAX_PDF_PAGES = 1500


@dataclass(frozen=True)
class _Run:
    left: float
    bottom: float
    right: float
    top: float
    text: str
    spaced: bool = False  # the run ends with a space: a word ends here

    @property
    def middle(self) -> float:
        return (self.bottom + self.top) / 2

    @property
    def height(self) -> float:
        return max(self.top - self.bottom, 1.0)


def read_handbook(path: Path) -> tuple[str, PagedText | None]:
    """Any handbook file's text, and its pages where it has them (a PDF, or
    ``pdftotext`` output with its form feeds); raises :class:`HandbookReadError`."""
    path = Path(path)
    if path.suffix.lower() == ".pdf" and path.is_file():
        paged = join_pages(read_pdf_pages(path))
        return paged.text, paged
    text = read_handbook_text(path)
    paged = paged_text(text)
    return (paged.text, paged) if paged else (text, None)


def read_pdf_pages(path: Path) -> list[list[str]]:
    """Each page's lines of text, in reading order; raises :class:`HandbookReadError`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(1024)
    except OSError as error:
        raise HandbookReadError(f"{path}: cannot be read ({error.strerror})") from None
    if size > MAX_PDF_BYTES:
        raise HandbookReadError(f"{path}: is {size // (1024 * 1024)} MB, more than a handbook "
                                f"({MAX_PDF_BYTES // (1024 * 1024)} MB at most); check it is the right file")
    if b"%PDF-" not in magic:
        raise HandbookReadError(f"{path}: is not a PDF (it does not start with %PDF); "
                                "check the file, or give its text as .md/.txt or .docx")
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        reason = str(error).lower()
        if "password" in reason:
            raise HandbookReadError(f"{path}: the PDF is password-protected; open it with its password "
                                    "and save or print an unprotected copy, then import that") from None
        raise HandbookReadError(f"{path}: the PDF is damaged or incomplete and cannot be opened "
                                "(PDFium: " + str(error).split("(PDFium: ")[-1].rstrip(").") + "); "
                                "download it again") from None
    try:
        count = len(document)
        if count > MAX_PDF_PAGES:
            raise HandbookReadError(f"{path}: has {count} pages, more than a handbook ({MAX_PDF_PAGES} at most)")
        pages = []
        for index in range(count):
            try:
                pages.append(_page_lines(document, index))
            except pdfium.PdfiumError as error:
                raise HandbookReadError(f"{path}: page {index + 1} is damaged and cannot be read ({error}); "
                                        "download the PDF again") from None
    finally:
        document.close()
    if not any(line.strip() for page in pages for line in page):
        raise HandbookReadError(f"{path}: the PDF has no text on any of its {len(pages)} page(s): it is "
                                "probably scanned images; use the awarding body's published (text) PDF, "
                                "or run it through OCR and import the text")
    return pages


def _page_lines(document, index: int) -> list[str]:
    page = document[index]
    textpage = page.get_textpage()
    try:
        # The page's text in PDFium's order, with the spaces it puts between words
        # (also where the PDF places words apart with no space character): it says
        # whether a run ends a word, which the gap alone cannot (kerning splits runs).
        flow = textpage.get_text_range()
        cursor = 0
        runs = []
        for number in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(number)
            text = textpage.get_text_bounded(left, bottom, right, top)
            # PDFium writes a hyphen that ends a line as \x02.
            words = " ".join(text.replace("\x02", "-").replace("\r", " ").replace("\n", " ").split())
            if not words:
                continue
            spaced = text[-1:].isspace()
            found = flow.find(words, cursor, cursor + 4 * len(words) + 64)
            if found >= 0:
                cursor = found + len(words)
                spaced = spaced or flow[cursor:cursor + 1].isspace()
            runs.append(_Run(left, bottom, right, top, words, spaced))
    finally:
        textpage.close()
        page.close()
    return _lines(runs)


def _lines(runs: list[_Run]) -> list[str]:
    """Runs grouped into lines top to bottom, each line's runs left to right."""
    rows: list[list[_Run]] = []
    for run in sorted(runs, key=lambda r: -r.top):
        for row in rows:
            anchor = row[0]
            if abs(anchor.middle - run.middle) <= 0.45 * min(anchor.height, run.height) + 0.5:
                row.append(run)
                break
        else:
            rows.append([run])
    rows.sort(key=lambda row: -max(r.middle for r in row))
    return [_join(sorted(row, key=lambda r: r.left)) for row in rows]


def _join(row: list[_Run]) -> str:
    """One line's text. PDFium splits runs inside words ("min" + "utes"), so a small
    gap with no space at the run's end joins; a wider one is a word gap (one space);
    one wider than about a letter is a column gap (two or more spaces)."""
    # The line's letter height, not a run's: a hyphen's or a comma's box is a sliver, and
    # measured by it "current-carrying" came apart as "current - carrying".
    height = sorted(r.height for r in row)[len(row) // 2]
    text = row[0].text
    for previous, run in zip(row, row[1:]):
        gap = run.left - previous.right
        # Kerning splits a word as far apart as some PDFs set words with no space
        # character ("min utes" at 0.2 of the letter height, "whom Health" at 0.3), so only
        # PDFium's spaces split below 0.35. A comma or a closing bracket printed just
        # after a word belongs to it.
        if gap < 0.35 * height and (not previous.spaced or run.text[:1] in ",.;:)"):
            text += run.text
        elif gap < 1.1 * height:
            text += " " + run.text
        else:
            text += " " * max(2, min(int(gap / (0.5 * height)), 40)) + run.text
    return text
