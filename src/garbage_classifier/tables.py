"""Small tables that render as HTML in notebooks and built pages, and as Markdown elsewhere.

myst-nb shows a table glued into another page only from its HTML representation, so
tables carry both. Cell text may mark words as strong with ``**...**``.
"""

from __future__ import annotations

import html
import re
from typing import Sequence

_STRONG = re.compile(r"\*\*(.+?)\*\*")


class Table:
    """A header row and data rows of plain text."""

    def __init__(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        self.headers = [str(header) for header in headers]
        self.rows = [[str(cell) for cell in row] for row in rows]
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"A table row has {len(row)} cells but the header has {len(self.headers)}: {row}")

    def _repr_markdown_(self) -> str:
        lines = ["| " + " | ".join(self.headers) + " |", "|" + " --- |" * len(self.headers)]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        def cell(tag: str, text: str) -> str:
            content = _STRONG.sub(r"<strong>\1</strong>", html.escape(text))
            return f"<{tag}>{content}</{tag}>"

        head = "".join(cell("th", header) for header in self.headers)
        body = "".join("<tr>" + "".join(cell("td", text) for text in row) + "</tr>" for row in self.rows)
        return f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def __repr__(self) -> str:
        return self._repr_markdown_()
