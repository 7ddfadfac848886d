"""CSV downloads that a spreadsheet opens safely: every cell that could run as a formula is neutralized.

One implementation for every export in the portal (cohort tables, staff submissions, reviewer pool, people)."""

import csv
import io
from collections.abc import Iterable

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value) -> str:
    """The cell as text; one that a spreadsheet would read as a formula is prefixed with a single quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: list[str], rows: Iterable[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralize(h) for h in header])
    for row in rows:
        writer.writerow([neutralize(cell) for cell in row])
    return buffer.getvalue()


def csv_response(text: str, filename: str) -> Response:
    """A download: an attachment with a plain file name, never rendered by the browser."""
    # The byte-order mark makes spreadsheet programs read the file as UTF-8.
    return Response(
        "\ufeff" + text, mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Content-Type-Options": "nosniff"},
    )
