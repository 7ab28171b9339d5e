"""Raw scraped pages -> clean, structured QAPage records in a SQLite store."""
