"""`python -m khaosobs` and the `khaosobs` command. `--version` is answered before the CLI (typer,
rich, pydantic) is imported: the one call that must start as fast as promtool's."""

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from khaosobs import __version__

        sys.stdout.write(f"khaosobs {__version__}\n")
        return
    from khaosobs.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
