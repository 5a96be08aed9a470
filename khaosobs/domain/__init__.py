"""Domain rules: what a concept means, written once and used by both the checks and the targets."""
