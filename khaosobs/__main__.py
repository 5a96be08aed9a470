import sys

if sys.argv[1:] == ["--version"]:  # answered before the CLI (and its imports) load
    from khaosobs import __version__

    sys.stdout.write(f"khaosobs {__version__}\n")
else:
    from khaosobs.cli import main

    if __name__ == "__main__":
        main()
