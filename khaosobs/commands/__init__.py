"""What each command does beyond parsing arguments and printing (that is khaosobs/cli.py)."""
