"""Domain rules written once and used by both the checks and the targets."""
