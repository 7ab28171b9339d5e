"""Defaults shared by every layer, in one place.

The lowest layer holds them so that the store, the index writer, the related-questions
batch and the command line (:mod:`healthqa.config`, which layers the environment and
options over them) all read the same values.
"""

from __future__ import annotations

import os

# Seconds a writer (an ingest, an index write) waits for another before saying it is busy.
WAIT_SECONDS = 30.0
# Processes that work in parallel (parsing, related questions): the machine's cores, at most two.
WORKERS = min(2, os.cpu_count() or 1)
# Megabytes a whole index build (rebuild or sync) may use at its peak: a rebuild writes as many
# segments as keep it within this; a sync's Whoosh writer spills to disk past a share of it.
INDEX_MEMORY_MB = 512
