"""`routes` and `coverage` print their tables as plain text where rich would print no style: the same
bytes rich prints (khaosobs/commands/tables.py), and rich's own output where it would fold a cell."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text

from khaosobs.commands import tables
from khaosobs.commands.tables import Cell, print_table

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)  # wide (CJK), combining, controls


def _by_rich(headers: list[str], rows: list[list[str]], width: int) -> str:
    out = io.StringIO()
    table = Table(show_header=True, header_style="bold", box=None)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(Text(text) for text in row))
    Console(file=out, highlight=False, width=width, color_system=None).print(table)
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(st.lists(_TEXT, min_size=n, max_size=n),
                                                     st.lists(st.lists(_TEXT, min_size=n, max_size=n), max_size=6))),
       st.sampled_from([20, 80, 200]))
def test_the_plain_table_is_what_rich_prints(table: tuple[list[str], list[list[str]]], width: int) -> None:
    headers, rows = table
    plain = tables._plain(headers, [[Cell(text) for text in row] for row in rows], width)
    if plain is not None:  # None: rich folds or reshapes a cell; print_table then asks rich
        assert plain == _by_rich(headers, rows, width)


def test_the_plain_table_is_taken_when_it_fits() -> None:
    rows = [["api", "ApiDown", "critical", "pager, 平台"], ["db", "[red]x[/red]", "", "default (default)"]]
    assert tables._plain(["service", "alert", "severity", "receivers"], [[Cell(t) for t in r] for r in rows], 200) \
        == _by_rich(["service", "alert", "severity", "receivers"], rows, 200)
    assert tables._plain(["a"], [[Cell("x" * 199)]], 200) is None  # 199 + 2 spaces: rich folds it
    assert tables._plain(["a"], [[Cell("two\nlines")]], 200) is None


def test_print_table_writes_cells_as_text_not_markup(capsys: pytest.CaptureFixture[str]) -> None:
    # a name holding rich markup is printed as written, styled or not
    print_table(["receiver"], [[Cell("[bold]ops[/bold]", "yellow")], ["x" * 250]])
    out = capsys.readouterr().out
    assert "[bold]ops[/bold]" in out
    assert "x" * 190 in out.replace("\n", "").replace(" ", "")  # folded by rich, never cut
