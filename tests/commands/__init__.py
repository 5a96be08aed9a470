"""Tests of khaosobs/commands/ through the CLI."""
