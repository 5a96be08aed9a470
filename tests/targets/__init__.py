"""Tests of khaosobs/targets/."""
