"""A short human summary of what `render` did: one row per target, the files themselves when few."""

from __future__ import annotations

from collections import Counter

from khaosobs.output.writer import Plan

LIST_FILES_UP_TO = 40  # beyond this a per-target count says more than a wall of paths


def print_summary(result: Plan) -> None:
    if not result.written and not result.removed:
        print(f"{result.outdir}: up to date ({len(result.rendered)} files)")
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    table = Table(show_header=True, header_style="bold", box=None)
    if len(result.written) + len(result.removed) <= LIST_FILES_UP_TO:
        table.add_column("change")
        table.add_column("file")
        for path in result.written:
            table.add_row("[green]write[/green]", str(result.outdir / path))
        for path in result.removed:
            table.add_row("[red]remove[/red]", str(result.outdir / path))
    else:
        owner = result.rendered
        written = Counter(owner[p] for p in result.written)
        unchanged = Counter(owner[p] for p in result.unchanged)
        table.add_column("target")
        table.add_column("written", justify="right")
        table.add_column("unchanged", justify="right")
        for target in sorted(set(owner.values())):
            table.add_row(target, str(written[target]), str(unchanged[target]))
    console.print(table)
    console.print(f"{len(result.written)} written, {len(result.unchanged)} unchanged, {len(result.removed)} removed")
