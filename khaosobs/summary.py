"""A short human summary of what `render` did."""

from __future__ import annotations

from khaosobs.writer import Plan


def print_summary(result: Plan) -> None:
    from rich.console import Console
    from rich.table import Table

    if not result.written and not result.removed:
        print(f"{result.outdir}: up to date ({len(result.files)} files)")
        return
    console = Console(highlight=False, soft_wrap=True)
    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("change")
    table.add_column("file")
    for path in result.written:
        table.add_row("[green]write[/green]", str(result.outdir / path))
    for path in result.removed:
        table.add_row("[red]remove[/red]", str(result.outdir / path))
    console.print(table)
    console.print(f"{len(result.written)} written, {len(result.unchanged)} unchanged, {len(result.removed)} removed")
