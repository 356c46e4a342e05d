"""Small PDFs written byte by byte for tests (no PDF library needed to make them).

Each page is a list of (x, y, text) in points from the bottom left, set in
Helvetica 10 pt, so tests control exactly where words sit on the page.
"""

from __future__ import annotations

from pathlib import Path


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_bytes(pages: list[list[tuple[float, float, str]]], *, encrypt: bool = False,
              drawing_only: bool = False) -> bytes:
    objects: list[bytes] = []
    kids = []
    font_id = 3
    page_ids = []
    next_id = 4
    for _ in pages:
        page_ids.append((next_id, next_id + 1))
        next_id += 2
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{p} 0 R" for p, _ in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for (page_id, content_id), words in zip(page_ids, pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
                       f"/F1 {font_id} 0 R >> >> /Contents {content_id} 0 R >>".encode())
        if drawing_only:
            stream = "0.5 g 50 50 400 600 re f"
        else:
            stream = "".join(f"BT /F1 10 Tf {x} {y} Td ({_escape(t)}) Tj ET\n" for x, y, t in words)
        data = stream.encode("cp1252")
        objects.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
    if encrypt:
        # A standard security handler whose password is not empty: readers must ask for it.
        objects.append(b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 "
                       b"/O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R"
    if encrypt:
        trailer += f" /Encrypt {len(objects)} 0 R /ID [<{'ab' * 16}> <{'ab' * 16}>]"
    out += f"trailer\n{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_pdf(path: Path, pages: list[list[tuple[float, float, str]]], **options: bool) -> Path:
    path.write_bytes(pdf_bytes(pages, **options))
    return path
