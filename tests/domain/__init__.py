"""Tests of khaosobs/domain/."""
