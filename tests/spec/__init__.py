"""Tests of khaosobs/spec/."""
