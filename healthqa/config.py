"""Configuration has one home: defaults here, ``HEALTHQA_*`` environment variables over them,
command-line options over both (click reads the variables through ``auto_envvar_prefix``).
"""

from __future__ import annotations

import os

from healthqa.ingest.defaults import WAIT_SECONDS as DEFAULT_WAIT, WORKERS as DEFAULT_WORKERS  # --wait, --workers

DEFAULT_DATA_DIR = "./healthqa-data"
DEFAULT_MAX_MB = 20.0          # ingest rejects larger files (--max-size)
ENV_PREFIX = "HEALTHQA"


def data_dir(explicit: str | None = None) -> str:
    """The data directory: an explicit value, else ``$HEALTHQA_DATA``, else the default."""
    return explicit or os.environ.get(f"{ENV_PREFIX}_DATA") or DEFAULT_DATA_DIR

