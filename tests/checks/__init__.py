"""Tests of khaosobs/checks/."""
