"""Tests of khaosobs/diagnostics/."""
