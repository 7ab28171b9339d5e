"""Searching the index: queries, ranking, filters, facets, highlights, spelling, related questions."""
