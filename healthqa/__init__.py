"""healthqa: ingest, search and relate health questions and answers."""

__version__ = "0.1.0"
