"""The tables `routes` and `coverage` print: rich's where it styles them, plain text where it would not.

rich measures, wraps and crops every cell: 9 s for the 6,000 rows of `khaosobs routes` at 1,000
services. Where rich would print no style (a pipe, a log, NO_COLOR) and the table fits the width,
nothing is wrapped, so the rows are written here, byte for byte as rich lays out a `box=None` table:
each cell padded by one space on either side, left-aligned to its column's width in terminal cells.
Cells are text, never rich markup: a name holding `[red]` is printed as written.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

PIPE_WIDTH = 200  # piped output is read by scripts and logs: no terminal width to fit, so names are not folded


@dataclass(frozen=True)
class Cell:
    text: str
    style: str | None = None  # a rich style ("yellow"), shown where rich styles the output


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Cell | str]]) -> None:
    """A table with a bold header row, columns folded (never cut) when the width is too small."""
    from rich.console import Console

    console = Console(highlight=False, width=None if sys.stdout.isatty() else PIPE_WIDTH)
    cells = [[cell if isinstance(cell, Cell) else Cell(cell) for cell in row] for row in rows]
    if console.color_system is None and (plain := _plain(headers, cells, console.width)) is not None:
        sys.stdout.write(plain)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold", box=None)
    for header in headers:
        table.add_column(header, overflow="fold")  # names whole, never cut with an ellipsis
    for row in cells:
        table.add_row(*(Text(cell.text, style=cell.style or "") for cell in row))
    console.print(table)


def _plain(headers: Sequence[str], rows: list[list[Cell]], width: int) -> str | None:
    """The table as rich prints it without styles; None when rich would fold or reshape a cell (the
    table is wider than `width`, or a cell holds a line break, a tab or another control character)."""
    from rich.cells import cell_len

    lines = [list(headers), *([cell.text for cell in row] for row in rows)]
    if any(not text.isprintable() for line in lines for text in line):
        return None
    widths = [max(cell_len(line[i]) for line in lines) for i in range(len(headers))]
    if sum(widths) + 2 * len(widths) > width:
        return None
    out = []
    for line in lines:
        out.append("".join(f" {text}{' ' * (widths[i] - cell_len(text))} " for i, text in enumerate(line)) + "\n")
    return "".join(out)
