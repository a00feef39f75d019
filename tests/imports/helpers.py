"""Building import files in tests: CSV text in any encoding and separator, XLSX with openpyxl."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook  # type: ignore[import-untyped]

FR_HEADER = ["Unité", "Quote-part (%)", "Rôle", "Prénom", "Nom", "Courriel", "Principal", "Solde d'ouverture",
             "Date du solde"]  # fmt: skip
EN_HEADER = ["Unit", "Share (%)", "Role", "First name", "Last name", "Email", "Primary", "Opening balance",
             "Balance date"]  # fmt: skip


def csv_bytes(
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = FR_HEADER,
    sep: str = ";",
    encoding: str = "utf-8",
    bom: bool = False,
) -> bytes:
    lines = [sep.join(header), *(sep.join(row) for row in rows)]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: Sequence[Sequence[object]], *, header: Sequence[str] = EN_HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
