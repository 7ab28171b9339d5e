"""A distributed search backend on a Sphinx-family engine (sphinxsearch 2.2, Manticore).

The SQLite store stays the source of truth. Each record goes to shard ``crc32(id) % N``;
every shard is served by R mirrored ``searchd`` replicas, and a head ``searchd`` holds a
``type = distributed`` index whose ``agent`` lines list each shard's mirrors: fan-out,
failover and merging are the engine's. healthqa writes the configs (:mod:`.engine_config`),
feeds the engine's own ``indexer`` with xmlpipe2 (:mod:`.feed`), builds and rotates
(:mod:`.build`), starts and stops the daemons (:mod:`.daemons`) and reports health
(:mod:`.status`). Searching through the head is :mod:`healthqa.search.cluster`.
"""
