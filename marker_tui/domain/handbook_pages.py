"""A handbook's pages joined into one text, without running headers, footers and page numbers.

Pure. PDF pages (``storage.handbook_pdf``) and ``pdftotext`` output (pages split by
form feeds) go through the same joining, so both read the same. Each kept line
remembers its page, for messages that a person can find in the PDF.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

#: How many lines at the top and bottom of a page count as its header or footer.
_EDGE = 3
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)


#: Never taken for a running head: a Total row or a row of figures ("Total   60   100").
_TABLE_ROW = re.compile(r"^\s*total\b|\d\s{2,}\d+(?:\.\d+)?%?\s*$", re.I)


@dataclass(frozen=True)
class PagedText:
    text: str
    page_of_line: tuple[int, ...]  # the 1-based page of each line of ``text``

    def page(self, line: int | None) -> int | None:
        if line is None or not 0 < line <= len(self.page_of_line):
            return None
        return self.page_of_line[line - 1]


def _shape(line: str) -> str:
    """A running head's words without its page number ("36 City & Guilds ..." and
    "City & Guilds ... 37" both become "City & Guilds ...")."""
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", line)).strip(" #")


def join_pages(pages: list[list[str]]) -> PagedText:
    """The pages' lines in order; lines at a page's top or bottom edge that repeat on
    several pages (running heads, footers) and bare page numbers are dropped."""
    edges = []
    for page in pages:
        filled = [i for i, line in enumerate(page) if line.strip()]
        edges.append(set(filled[:_EDGE] + filled[-_EDGE:]))
    counts: Counter[str] = Counter()
    inside: Counter[str] = Counter()  # the same shapes away from the edges: body text
    for page, edge in zip(pages, edges):
        counts.update({_shape(page[i]) for i in edge})
        inside.update({_shape(line) for i, line in enumerate(page) if i not in edge and line.strip()})
    # A running head is on many pages; with fewer than three pages nothing can tell.
    repeated = max(3, len(pages) // 5)

    def running_head(shape: str) -> bool:
        # A heading such as "Learning outcome" often opens a page too, but it is also
        # printed mid-page; a running head never is.
        return bool(shape) and counts[shape] >= repeated and inside[shape] * 10 <= counts[shape]

    lines: list[str] = []
    page_of: list[int] = []
    for number, (page, edge) in enumerate(zip(pages, edges), start=1):
        for i, line in enumerate(page):
            if i in edge:
                shape = _shape(line)
                if _PAGE_NUMBER.match(line.strip()) or (running_head(shape) and not _TABLE_ROW.search(line)):
                    continue
            lines.append(line.rstrip())
            page_of.append(number)
        lines.append("")  # a page break ends a paragraph, never a table (see the table reader)
        page_of.append(number)
    return PagedText("\n".join(lines) + "\n", tuple(page_of))


def paged_text(text: str) -> PagedText | None:
    """``pdftotext`` output (pages split by form feeds) as pages; None for other text."""
    if "\f" not in text:
        return None
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return join_pages([page.split("\n") for page in pages])
