"""What a server is built with: one frozen object, from defaults and ``HEALTHQA_*`` variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

from healthqa import config

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class ServeSettings:
    """Settings of one server (every worker builds the same from the environment).

    ``api_key`` guards writes (``POST /v1/pages``): with none set, writes are refused.
    ``read_key``, when set, guards every read endpoint and page too (``/v1/health`` stays open).
    """

    data_dir: str = config.DEFAULT_DATA_DIR
    api_key: str | None = None
    read_key: str | None = None
    max_body_bytes: int = int(config.DEFAULT_MAX_MB * 1_048_576)  # a request body larger than this is a 413
    body_seconds: float = 30.0     # a client that takes longer to send its body gets a 408
    lock_wait: float = 2.0         # how long POST /v1/pages waits for a running ingest before a 503
    max_limit: int = 100           # most hits per page of results
    related_k: int = 5             # related questions in the API by default and in the widget
    related_per_hit: int = 3       # related questions under each hit of the search page
    search_cache: int = 1000       # distinct searches whose results a worker keeps per index generation (0: none)
    backend: str = "whoosh"        # what is searched: the data directory's index, or its search cluster
    cluster_dir: str = ""          # the cluster's directory (empty: <data dir>/cluster)
    index_memory_mb: float = config.INDEX_MEMORY_MB  # the peak memory of indexing a push (index_memory_mb)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "ServeSettings":
        """Settings from ``HEALTHQA_DATA``, ``HEALTHQA_API_KEY``, ``HEALTHQA_READ_KEY``,
        ``HEALTHQA_MAX_BODY_MB`` and ``HEALTHQA_SEARCH_CACHE``, over the defaults; ``backend``,
        ``cluster_dir`` and ``index_memory_mb`` as every command reads them (``healthqa.toml``,
        ``HEALTHQA_BACKEND``, ``HEALTHQA_INDEX_MEMORY_MB``, ...)."""
        env = os.environ if environ is None else environ
        prefix = config.ENV_PREFIX
        max_mb = env.get(f"{prefix}_MAX_BODY_MB")
        cache = env.get(f"{prefix}_SEARCH_CACHE")
        if cache is not None and not (cache.isdigit() and int(cache) <= 1_000_000):
            raise ValueError(f"{prefix}_SEARCH_CACHE={cache!r} is not a whole number of searches from 0 to 1,000,000")
        try:
            if max_mb and not 0 < float(max_mb) < 1e6:
                raise ValueError
        except ValueError:
            raise ValueError(f"{prefix}_MAX_BODY_MB={max_mb!r} is not a number of megabytes between 0 and 1,000,000") from None
        data_dir = config.data_dir(env.get(f"{prefix}_DATA"), env)
        try:
            search = config.load({"data_dir": data_dir}, env)
        except config.ConfigError as exc:
            raise ValueError(str(exc)) from None
        return cls(
            data_dir=data_dir, backend=search.get("backend"), cluster_dir=search.get("cluster_dir"),
            index_memory_mb=search.get("index_memory_mb"),
            api_key=env.get(f"{prefix}_API_KEY") or None,
            read_key=env.get(f"{prefix}_READ_KEY") or None,
            **({"max_body_bytes": int(float(max_mb) * 1_048_576)} if max_mb else {}),
            **({"search_cache": int(cache)} if cache is not None else {}),
        )
