"""khaosobs: one observability spec, rendered into the files a real stack runs on."""

__version__ = "0.1.0"
