"""Limits on what a spec may hold: refused with a position, never read into unbounded memory."""

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_SCALAR_CHARS = 1024 * 1024
MAX_ALIAS_NODES = 100_000
MAX_DEPTH = 64
