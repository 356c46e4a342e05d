"""Question and instruction text as a reader sees it (issue 17.5): one reflow for the learner, the
marker and the reviewer, and the same list rule for the Word feedback.

Papers are written in YAML wrapped at ~90 characters for the file, not for the reader: the hard
line breaks inside a paragraph are joined so the text wraps to the terminal's width. Blank lines
stay paragraph breaks; list items (``-``, ``*``, ``•``, ``1.``, ``2)``, ``(a)``, ``a.``) keep their
own lines.
"""

from __future__ import annotations

import re

LIST_ITEM = re.compile(r"^\s*([-*•]|\d+[.)]|\([a-zA-Z0-9]+\)|[a-z][.)])\s")
"""A line that starts a list item: it is never joined to the line before."""


def reflow(text: str) -> str:
    """Join a paper's hard-wrapped lines into paragraphs; paragraphs and list items kept."""
    out = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        joined: list[str] = []
        for line in (line.strip() for line in paragraph.splitlines()):
            if not line:
                continue
            if joined and not LIST_ITEM.match(line):
                joined[-1] += " " + line
            else:
                joined.append(line)
        out.append("\n".join(joined))
    return "\n\n".join(out)
