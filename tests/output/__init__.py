"""Tests of khaosobs/output/."""
