"""Word feedback for one learner: :class:`LearnerFeedback` as a .docx.

The document, top to bottom (A4, Arial 11 pt, UK English, built-in styles so a
centre can restyle it in Word):

* Title "Assessment feedback", then a details table: centre (and its number),
  qualification, unit, sitting and its date, candidate.
* Heading 1 "Your result": result, total of available, percentage, the pass
  mark, why a fail is a fail where the total alone does not say, and which
  marks internal quality assurance changed.
* Heading 1 "Marks by outcome": a table (header row repeated on every page,
  ``w:tblHeader``) of outcome, marks achieved, marks available (and the minimum
  to pass where the pass rule sets outcome minimums), and a total row.
* Heading 1 "Assessment criteria": each criterion the paper covers, its words
  from the test specification, its questions, marks and whether it was met.
* Heading 1 "Feedback on each question": per question a Heading 2 "Question 2a",
  the question (soft-wrapped paper text reflowed), its criteria, the learner's
  own answer (where the export includes answers), "3 of 4 marks", what IQA
  changed and why, and the marker's comment where there is one.
* Heading 1 "Overall feedback" and "Next steps", only where the marker gave them.
* Heading 1 "Sign-off": marker and date; the IQA reviewer, date and decision only
  where the script was sampled and reviewed.
* Heading 1 "How to query your result", and "Signatures": name, signature and
  date lines for assessor, learner and internal quality assurer, kept on one page.
* Footer: candidate, unit and "Page N of M" (``PAGE``/``NUMPAGES`` fields).

Every table's columns are widened where a word would not fit (:func:`fit_widths`),
because Word breaks a word wider than its cell mid-word ("achieve d").

No heading is written without content: optional text is checked *after*
cleaning, so a comment made only of control characters leaves no empty
section. Paragraphs whose first strong character is right-to-left (Arabic,
Hebrew...) are marked ``w:bidi`` so Word lays them out right to left.

:class:`WordDocument` holds what the Word writers share (styles, tables, fields,
text handling); ``iqa_record.py`` uses it too.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from marker_tui.domain.question_text import LIST_ITEM
from marker_tui.domain.reports import LearnerFeedback

from .text_cleaning import atomic_output, clean_text

FONT = "Arial"
FONT_SIZE = Pt(11)
LANGUAGE = "en-GB"
HEADER_FILL = "D9D9D9"
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def uk_date(day: date) -> str:
    """``2 March 2026`` whatever the process locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def marks_text(awarded: int, available: int) -> str:
    return f"{awarded} of {available} mark{'' if available == 1 else 's'}"


def text_blocks(text: str | None, *, reflow: bool = False) -> list[str]:
    """Cleaned paragraphs of ``text`` (split at blank lines); [] if nothing is left.

    Inside a paragraph a newline stays a line break, unless ``reflow``: then lines
    are joined with spaces (question text in the papers is wrapped at ~90
    characters for the YAML, not for the reader), except before a list item
    (domain/question_text.LIST_ITEM, the rule the screens' reflow keeps too).
    """
    if text is None:
        return []
    text = clean_text(text).replace("\r\n", "\n").replace("\r", "\n")
    blocks = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [line.strip() for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        if reflow:
            joined = lines[0]
            for line in lines[1:]:
                joined += ("\n" if LIST_ITEM.match(line) else " ") + line
            blocks.append(joined)
        else:
            blocks.append("\n".join(lines))
    return blocks


def first_strong_is_rtl(text: str) -> bool:
    """Whether the Unicode bidi rule (P2) makes ``text`` a right-to-left paragraph."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return False
        if kind in ("R", "AL"):
            return True
    return False


def _element(tag: str, **attrs: str) -> OxmlElement:
    el = OxmlElement(tag)
    for name, value in attrs.items():
        el.set(qn(name), value)
    return el


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_TEXT_PIECES = re.compile(r"(\t|\r\n|\r|\n)")


def _append_run(paragraph: etree._Element, text: str, *, bold: bool = False, italic: bool = False) -> None:
    """Append a ``w:r`` holding ``text`` (tabs become ``w:tab``, line ends ``w:br``)."""
    run = etree.SubElement(paragraph, _W + "r")
    if bold or italic:
        rpr = etree.SubElement(run, _W + "rPr")
        if bold:
            etree.SubElement(rpr, _W + "b")
        if italic:
            etree.SubElement(rpr, _W + "i")
    for piece in _TEXT_PIECES.split(text):
        if piece == "\t":
            etree.SubElement(run, _W + "tab")
        elif piece in ("\n", "\r\n", "\r"):
            etree.SubElement(run, _W + "br")
        elif piece:
            t = etree.SubElement(run, _W + "t")
            t.text = piece
            if piece[0] in " \u00a0" or piece[-1] in " \u00a0":
                t.set(_XML_SPACE, "preserve")


def _paragraph_properties(paragraph: etree._Element, style_id: str | None, rtl: bool,
                          keep_next: bool = False) -> None:
    if style_id is None and not rtl and not keep_next:
        return
    ppr = etree.SubElement(paragraph, _W + "pPr")
    if style_id is not None:
        etree.SubElement(ppr, _W + "pStyle").set(_W + "val", style_id)
    if keep_next:  # schema order: pStyle, keepNext, ..., bidi
        etree.SubElement(ppr, _W + "keepNext")
    if rtl:
        etree.SubElement(ppr, _W + "bidi")  # after pStyle, as the schema orders them


# Approximate Arial advance widths (fractions of an em) by character class, for sizing
# table columns so no word in a header is broken mid-word ("achieve d"). Word breaks a
# word that is wider than its cell; it never hyphenates. A slight overestimate is safe.
_NARROW = frozenset("ijlI.,;:'|!()[]{}")
_SEMI = frozenset("frt-/ ")
_WIDE = frozenset("mwMW@%")
_CELL_PADDING_MM = 3.8 + 1.2  # Word's default 0.19 cm either side, and a little slack
_PT_TO_MM = 25.4 / 72


def text_width_mm(text: str, *, bold: bool = False, size_pt: float = 11.0) -> float:
    """How wide ``text`` prints in Arial at ``size_pt`` (an estimate on the safe side)."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.30
        elif ch in _SEMI:
            em += 0.36
        elif ch in _WIDE:
            em += 0.86
        elif ch.isupper() or not ch.isascii():
            em += 0.72
        else:  # lower case letters and digits
            em += 0.56
    return em * size_pt * _PT_TO_MM * (1.08 if bold else 1.0)


def fit_widths(widths_mm: Sequence[float], columns: Sequence[Sequence[tuple[str, bool]]],
               *, widest_data_word_mm: float = 45.0) -> list[float]:
    """Column widths, as close to ``widths_mm`` as possible, in which every word fits.

    ``columns[i]`` holds (text, bold) of the cells of column i. A column narrower than
    its longest word takes the shortfall from columns with room to spare (widest spare
    first), keeping the table's total width; long data words (a URL) are not allowed
    to claim more than ``widest_data_word_mm``, and wrap as Word wraps them.
    """
    need = []
    for cells in columns:
        longest = 0.0
        for text, bold in cells:
            for word in text.split():
                width = text_width_mm(word, bold=bold) + _CELL_PADDING_MM
                longest = max(longest, width if bold else min(width, widest_data_word_mm))
        need.append(longest)
    widths = list(widths_mm)
    total = sum(widths)
    for i, want in enumerate(need):
        short = want - widths[i]
        if short <= 0:
            continue
        donors = sorted((j for j in range(len(widths)) if j != i and widths[j] > need[j]),
                        key=lambda j: widths[j] - need[j], reverse=True)
        for j in donors:
            give = min(short, widths[j] - need[j])
            widths[j] -= give
            widths[i] += give
            short -= give
            if short <= 0:
                break
    assert abs(sum(widths) - total) < 1e-6
    return widths


class WordDocument:
    """A python-docx document set up the way marker-tui's Word exports look.

    Paragraphs, runs and table rows are built as WordprocessingML with lxml rather
    than through python-docx's proxies: the proxies look styles up by scanning
    the styles part and search for each child's place in the schema order, which
    made a 60-paragraph feedback document three times as slow as a bare one.
    """

    def __init__(self, *, title: str, author: str, footer: str) -> None:
        self.doc = Document()
        styles = self.doc.styles
        self.title_id = styles["Title"].style_id
        self.h1_id = styles["Heading 1"].style_id
        self.h2_id = styles["Heading 2"].style_id
        self.table_style_id = styles["Table Grid"].style_id
        self._set_fonts(styles)
        self._set_page()
        self._set_properties(title, author)
        self._set_footer(footer)
        self._sect_pr = self.doc.element.body.find(_W + "sectPr")

    # -- set-up ----------------------------------------------------------------------

    def _set_fonts(self, styles) -> None:  # noqa: ANN001 - python-docx Styles
        normal = styles["Normal"]
        for style in (normal, styles["Title"], styles["Heading 1"], styles["Heading 2"]):
            rpr = style.element.get_or_add_rPr()
            fonts = rpr.find(qn("w:rFonts"))
            if fonts is None:
                fonts = _element("w:rFonts")
                rpr.insert(0, fonts)
            for attr in list(fonts.attrib):  # drop theme fonts, which would win over the names
                if attr.endswith("Theme"):
                    del fonts.attrib[attr]
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                fonts.set(qn(attr), FONT)
        normal.font.size = FONT_SIZE
        rpr = normal.element.get_or_add_rPr()
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = _element("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), LANGUAGE)

    def _set_page(self) -> None:
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)  # A4, not the template's US Letter
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Mm(20))

    def _set_properties(self, title: str, author: str) -> None:
        props = self.doc.core_properties
        now = datetime.now(timezone.utc).replace(microsecond=0)
        props.title = clean_text(title)[:255]
        props.author = props.last_modified_by = clean_text(author)[:255]
        props.comments = ""  # the template says "generated by python-docx"
        props.subject = ""
        props.keywords = ""
        props.created = props.modified = now
        props.revision = 1

    def _set_footer(self, text: str) -> None:
        footer = self.doc.sections[0].footer
        p = footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(clean_text(text) + "  \u2022  Page ")
        self.field(p, "PAGE", "1")
        p.add_run(" of ")
        self.field(p, "NUMPAGES", "1")

    # -- building blocks ----------------------------------------------------------------

    @staticmethod
    def field(paragraph: Paragraph, instruction: str, shown: str) -> None:
        """A simple field (``PAGE``, ``NUMPAGES``...) with a placeholder result Word replaces."""
        fld = _element("w:fldSimple", **{"w:instr": f" {instruction} \\* MERGEFORMAT "})
        run = _element("w:r")
        t = _element("w:t")
        t.text = shown
        run.append(t)
        fld.append(run)
        paragraph._p.append(fld)

    def _new_paragraph(self, style_id: str | None = None, rtl: bool = False, keep_next: bool = False) -> etree._Element:
        p = self.doc.element.body.makeelement(_W + "p", {})
        self._sect_pr.addprevious(p)
        _paragraph_properties(p, style_id, rtl, keep_next)
        return p

    def title(self, text: str) -> None:
        _append_run(self._new_paragraph(self.title_id), clean_text(text))

    def heading(self, text: str, level: int = 1) -> None:
        text = clean_text(text)
        p = self._new_paragraph(self.h1_id if level == 1 else self.h2_id, first_strong_is_rtl(text))
        _append_run(p, text)

    def paragraph(self, text: str = "", *, bold_lead: str | None = None, italic: bool = False,
                  keep_with_next: bool = False) -> None:
        """One paragraph of cleaned text (style Normal), optionally led by a bold label;
        ``keep_with_next`` keeps it on the page of what follows (a table's lead-in)."""
        text = clean_text(text)
        lead = clean_text(bold_lead) if bold_lead else ""
        p = self._new_paragraph(None, first_strong_is_rtl(lead + text), keep_with_next)
        if lead:
            _append_run(p, lead, bold=True)
        if text:
            _append_run(p, text, italic=italic)

    def blocks(self, blocks: Sequence[str], *, bold_lead: str | None = None, italic: bool = False) -> None:
        """Paragraphs from :func:`text_blocks`, the first led by ``bold_lead``.

        Right-to-left text gets the label on a line of its own, so the label does not
        make its paragraph left-to-right (the first strong character decides).
        """
        if blocks and bold_lead and first_strong_is_rtl(blocks[0]):
            self.paragraph(bold_lead=bold_lead.rstrip())
            bold_lead = None
        for i, block in enumerate(blocks):
            self.paragraph(block, bold_lead=bold_lead if i == 0 else None, italic=italic)

    def table(
        self,
        header: Sequence[str] | None,
        rows: Iterable[Sequence[object]],
        *,
        widths_mm: Sequence[float],
        bold_first_column: bool = False,
        bold_last_row: bool = False,
        row_height_mm: float | None = None,
        keep_together: bool = False,
    ) -> None:
        """A "Table Grid" table with fixed column widths; ``header`` becomes a shaded,
        bold row that Word repeats at the top of every page (``w:tblHeader``).
        ``row_height_mm`` sets a minimum height for the data rows (room to sign);
        ``keep_together`` keeps the whole table on one page (a signature block)."""
        data = [[clean_text(str(v)) for v in row] for row in rows]
        heads = [clean_text(h) for h in header] if header is not None else None
        columns: list[list[tuple[str, bool]]] = [[] for _ in widths_mm]
        for c in range(len(widths_mm)):
            if heads is not None:
                columns[c].append((heads[c], True))
            for r, values in enumerate(data):
                bold = (bold_first_column and c == 0) or (bold_last_row and r == len(data) - 1)
                columns[c].append((values[c], bold))
        widths_mm = fit_widths(widths_mm, columns)
        table = self.doc.add_table(rows=0, cols=len(widths_mm))
        table._tbl.tblStyle_val = self.table_style_id
        table.autofit = False
        twips = [str(Mm(w).twips) for w in widths_mm]
        for column, width in zip(table._tbl.tblGrid.gridCol_lst, twips):
            column.set(_W + "w", width)
        tbl = table._tbl
        if heads is not None:
            self._row(tbl, heads, twips, header=True, keep_next=keep_together and bool(data))
        for r, values in enumerate(data):
            last = bold_last_row and r == len(data) - 1
            self._row(tbl, values, twips, bold_first_column=bold_first_column, bold_all=last,
                      height_twips=None if row_height_mm is None else str(Mm(row_height_mm).twips),
                      keep_next=keep_together and r < len(data) - 1)
        self._new_paragraph()  # Word runs two adjacent tables together otherwise

    @staticmethod
    def _row(
        tbl: etree._Element,
        values: Sequence[str],
        twips: Sequence[str],
        *,
        header: bool = False,
        bold_first_column: bool = False,
        bold_all: bool = False,
        height_twips: str | None = None,
        keep_next: bool = False,
    ) -> None:
        tr = etree.SubElement(tbl, _W + "tr")
        if header or height_twips or keep_next:
            tr_pr = etree.SubElement(tr, _W + "trPr")
            if keep_next:
                etree.SubElement(tr_pr, _W + "cantSplit")
            if height_twips:
                height = etree.SubElement(tr_pr, _W + "trHeight")
                height.set(_W + "val", height_twips)
                height.set(_W + "hRule", "atLeast")
            if header:
                etree.SubElement(tr_pr, _W + "tblHeader")
        for c, (text, width) in enumerate(zip(values, twips)):
            tc = etree.SubElement(tr, _W + "tc")
            tc_pr = etree.SubElement(tc, _W + "tcPr")
            tc_w = etree.SubElement(tc_pr, _W + "tcW")
            tc_w.set(_W + "w", width)
            tc_w.set(_W + "type", "dxa")
            if header:
                shd = etree.SubElement(tc_pr, _W + "shd")
                shd.set(_W + "val", "clear")
                shd.set(_W + "color", "auto")
                shd.set(_W + "fill", HEADER_FILL)
            p = etree.SubElement(tc, _W + "p")
            rtl = first_strong_is_rtl(text)
            _paragraph_properties(p, None, rtl, keep_next)
            if text:
                _append_run(p, text, bold=header or bold_all or (bold_first_column and c == 0))

    def save(self, path: str | os.PathLike[str]) -> None:
        # Built in memory first: if the disk then fails, python-docx's zip is already
        # closed and nothing is left half-open to complain when it is collected.
        buffer = io.BytesIO()
        self.doc.save(buffer)
        with atomic_output(path) as stream:
            stream.write(buffer.getbuffer())


# --------------------------------------------------------------------------------------
# File names
# --------------------------------------------------------------------------------------

#: Names Windows reserves whatever the extension (compared case-insensitively).
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "\u00b9", "\u00b2", "\u00b3")}
)
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')
_COMPONENT_MAX = 40


def _safe_component(value: str) -> str:
    original = unicodedata.normalize("NFC", value)
    text = clean_text(original)
    text = _UNSAFE.sub("-", text)
    text = re.sub(r"\s+", "_", text).strip("._-")  # no leading dot (hidden), no trailing dot/space
    text = text[:_COMPONENT_MAX].rstrip("._-")
    if not text:
        text = "unknown"
    if text != original:
        # Replacing characters could make two candidates share a file name ("12/34"
        # and "12:34"); a short hash of the original keeps them apart.
        text += "-" + hashlib.sha1(original.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return text


def feedback_filename(candidate_number: str, unit: str) -> str:
    """``1234_unit-304_feedback.docx``: a file name safe on Windows, macOS and Linux.

    Characters Windows forbids (``<>:"/\\|?*``), control characters and runs of
    white space become ``-``/``_``; leading and trailing dots, dashes and spaces
    go; each part is at most 40 characters; a part that had to change gets a
    6-character hash of the original so different candidates never share a name;
    and the name (before its first dot) is never a reserved device name (CON...).
    At most 114 characters long. Names can still differ only in letter case
    ("a1"/"A1"), which Windows and macOS treat as one file: candidate numbers are
    expected to be unique regardless of case.
    """
    name = f"{_safe_component(str(candidate_number))}_unit-{_safe_component(str(unit))}_feedback"
    if name.split(".")[0].upper() in WINDOWS_RESERVED:  # pragma: no cover - the suffix prevents it
        name = "_" + name
    return name + ".docx"


# --------------------------------------------------------------------------------------
# The feedback document
# --------------------------------------------------------------------------------------


def _percent(value: float) -> str:
    return f"{value:.1f}%"


QUERY_TEXT = (
    "If you think a mark or your result is wrong, speak to your assessor or to {centre}'s exams officer "
    "within 10 working days of receiving this feedback, quoting your candidate number {candidate} and "
    "sitting {sitting}. Your script will be looked at again by someone who did not mark it, and you will be "
    "told the outcome in writing. If you are still not satisfied you can use the centre's appeals procedure."
)
SIGNATURE_NOTE = ("By signing, the learner confirms that they have received this feedback; the assessor and the "
                  "internal quality assurer confirm the marks and feedback above.")


def build_feedback_document(feedback: LearnerFeedback) -> WordDocument:
    f = feedback
    doc = WordDocument(
        title=f"Assessment feedback: candidate {f.candidate_number}, unit {f.unit_number}",
        author=f.centre_name,
        footer=f"Candidate {f.candidate_number}  \u2022  Unit {f.unit_number} feedback",
    )
    doc.title("Assessment feedback")
    doc.table(
        None,
        [
            ("Centre", f.centre_name),
            *([("Centre number", f.centre_number)] if f.centre_number else []),
            ("Qualification", f"{f.qualification_number} {f.qualification_title}"),
            ("Unit", f"{f.unit_number} {f.unit_title}"),
            *([("Sitting", f.sitting_code)] if f.sitting_code else []),
            ("Sitting date", uk_date(f.sitting_date)),
            ("Candidate", f"{f.candidate_name} ({f.candidate_number})"),
        ],
        widths_mm=(40, 130),
        bold_first_column=True,
    )

    doc.heading("Your result")
    result = clean_text(f.result).strip()
    doc.paragraph(
        f"{marks_text(f.total, f.available)} ({_percent(f.percentage)})."
        + (f" The pass mark is {f.pass_mark}." if f.pass_mark is not None else ""),
        bold_lead=f"{result[:1].upper()}{result[1:]}: ",
    )
    if f.fail_reasons:
        doc.paragraph("; ".join(f.fail_reasons) + ".", bold_lead="Why: ")
    changed = [q for q in f.questions if q.iqa_change is not None]
    if changed:
        doc.paragraph(
            f"Internal quality assurance reviewed your script and changed the mark for "
            f"{_question_list([q.id for q in changed])}; the marks in this document are the final ones.",
            bold_lead="Marks changed on review: ",
        )

    doc.heading("Marks by outcome")
    if any(o.minimum is not None for o in f.outcomes):
        doc.table(
            ("Outcome", "Marks achieved", "Marks available", "Minimum to pass"),
            [
                *((f"{o.number}. {o.title}", o.achieved, o.available, "" if o.minimum is None else o.minimum)
                  for o in f.outcomes),
                ("Total", f.total, f.available, "" if f.pass_mark is None else f.pass_mark),
            ],
            widths_mm=(98, 24, 24, 24),
            bold_last_row=True,
        )  # fmt: skip
    else:
        doc.table(
            ("Outcome", "Marks achieved", "Marks available"),
            [*((f"{o.number}. {o.title}", o.achieved, o.available) for o in f.outcomes), ("Total", f.total, f.available)],
            widths_mm=(120, 25, 25),
            bold_last_row=True,
        )

    if f.criteria:
        doc.heading("Assessment criteria")
        doc.paragraph("Each criterion this paper assessed, the questions that covered it and the marks you earned "
                      "on them. A criterion is met when every mark on its questions was earned, partly met when "
                      "some were. Your result is decided by your total mark.")
        doc.table(
            ("Criterion", "What it covers", "Questions", "Marks", "Met?"),
            [(c.number, (c.text or "")[:1].upper() + (c.text or "")[1:], ", ".join(c.questions), f"{c.achieved} of {c.available}",
              c.status.value.capitalize()) for c in f.criteria],
            widths_mm=(22, 78, 24, 22, 24),
        )

    doc.heading("Feedback on each question")
    for q in f.questions:
        doc.heading(f"Question {q.id}", level=2)
        doc.blocks(text_blocks(q.text, reflow=True), italic=True)
        if q.criteria:
            doc.paragraph(", ".join(q.criteria), bold_lead="Assessment criteria: ")
        if q.answer is not None:
            answer = text_blocks(q.answer)
            if answer:
                doc.blocks(answer, bold_lead="Your answer: ")
            else:
                doc.paragraph("you did not answer this question.", bold_lead="Your answer: ")
        if q.not_attempted:  # a blank answer is "not attempted", not a 0 (domain/not_attempted.py)
            doc.paragraph(f"(0 of {q.available} available)", bold_lead="Not attempted ")
        else:
            doc.paragraph(bold_lead=marks_text(q.awarded, q.available))
        if q.iqa_change is not None:
            why = clean_text(q.iqa_change.reason or "").strip()
            doc.paragraph(
                f"the marker gave {marks_text(q.iqa_change.marker_mark, q.available)}; internal quality "
                f"assurance changed it to {q.awarded}" + (f": {why.rstrip('.')}." if why else "."),
                bold_lead="Changed on review: ",
            )
        doc.blocks(text_blocks(q.comment), bold_lead="Marker's comment: ")

    for heading, text in (("Overall feedback", f.overall_feedback), ("Next steps", f.next_steps)):
        blocks = text_blocks(text)
        if blocks:
            doc.heading(heading)
            doc.blocks(blocks)

    doc.heading("Sign-off")
    sign_off = [("Marked by", f.marker_name), ("Date marked", uk_date(f.marked_date))]
    if f.iqa is not None:
        sign_off += [
            ("Internal quality assurance", f"Sampled and reviewed by {f.iqa.reviewer}"),
            ("Date reviewed", uk_date(f.iqa.signed_on)),
            ("IQA decision", f.iqa.decision.value.capitalize()),
        ]
    doc.table(None, sign_off, widths_mm=(55, 115), bold_first_column=True)

    doc.heading("How to query your result")
    doc.paragraph(QUERY_TEXT.format(centre=f.centre_name, candidate=f.candidate_number,
                                    sitting=f.sitting_code or uk_date(f.sitting_date)))

    doc.heading("Signatures")
    doc.paragraph(SIGNATURE_NOTE, keep_with_next=True)
    doc.table(
        ("", "Name", "Signature", "Date"),
        [
            ("Assessor", f.marker_name, "", ""),
            ("Learner", f.candidate_name, "", ""),
            ("Internal quality assurer", f.iqa.reviewer if f.iqa is not None else "", "", ""),
        ],
        widths_mm=(42, 50, 50, 28),
        bold_first_column=True,
        row_height_mm=12,
        keep_together=True,
    )
    return doc


def _question_list(ids: list[str]) -> str:
    names = [f"question {i}" for i in ids]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def write_feedback_docx(feedback: LearnerFeedback, path: str | os.PathLike[str]) -> None:
    """Write one learner's feedback document to ``path`` (atomically)."""
    build_feedback_document(feedback).save(path)
