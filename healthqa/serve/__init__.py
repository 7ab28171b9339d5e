"""``healthqa serve``: the JSON API, the search page and the related-questions widget.

Thin over the library: :mod:`healthqa.search.searcher`, :mod:`healthqa.search.related`,
the ingest pipeline and the index writer. Build the app with
:func:`healthqa.serve.app.create_app`.
"""
