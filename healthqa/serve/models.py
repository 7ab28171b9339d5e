"""Typed shapes of the JSON API, so that the OpenAPI schema (``/openapi.json``, ``/docs``)
documents it. The data itself comes from the library's own ``to_dict`` methods, the same
that ``healthqa ... --json`` prints; these models only describe it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class AnswerHitModel(BaseModel):
    role: str | None
    author: str | None
    snippet: str = Field(description="HTML: the answer's text escaped, matches in <em>")
    matches: int


class HitModel(BaseModel):
    rank: int
    id: str
    score: float
    question: str
    topic: str | None
    source: str
    url: str | None
    question_type: str | None
    roles: list[str]
    snippet: str = Field(description="HTML: the page's text escaped, matches in <em>")
    answers: list[AnswerHitModel]


class ResultsModel(BaseModel):
    """One page of search results, as ``healthqa search --json`` prints it."""

    query: str
    searched: str
    corrected_from: str | None
    suggestion: str | None = Field(description="Did you mean")
    total: int
    page: int
    pages: int
    limit: int
    notes: list[str]
    facets: dict[str, dict[str, int]] = Field(description="role, topic and source counts over all matches")
    hits: list[HitModel]
    missing_shards: list[int] | None = Field(None, description="cluster backend only: the shards that had no "
                                                               "live replica (empty: complete results)")


class SuggestionModel(BaseModel):
    """A related question, as ``healthqa related --json`` prints it."""

    id: str | None = Field(description="null for a question the page links to that is not indexed")
    question: str
    topic: str | None
    score: float | None = Field(description="null for a question the page itself links to")
    reasons: list[str]
    resolved: bool


class AnswerModel(BaseModel):
    text: str
    author: str | None
    role: str | None
    date: str | None
    votes: int | None
    accepted: bool


class RecordModel(BaseModel):
    """One stored record, as ``healthqa records show`` prints it."""

    id: str
    source: str
    format: str
    question: str
    origin: str
    answers: list[AnswerModel]
    url: str | None
    topic: str | None
    detail: str | None
    asked_by: str | None
    date: str | None
    question_type: str | None
    synonyms: list[str]
    related: list[str]
    warnings: list[str]
    content_hash: str


class NodeModel(BaseModel):
    """One search-cluster node (``healthqa cluster status``)."""

    name: str
    address: str
    shard: int | None = Field(description="the shard it serves; null for the head")
    up: bool
    docs: int | None
    synced_seq: int | None
    synced_at: float | None
    error: str | None = None


class HealthModel(BaseModel):
    status: str = Field(description="ok; no-index before the first ingest; partial when a cluster shard "
                                    "has no live replica")
    generation: str | None
    schema_version: int | None
    documents: int
    records: int | None
    backend: str | None = Field(None, description="whoosh or cluster (the 'backend' setting)")
    nodes: list[NodeModel] | None = Field(None, description="the cluster's nodes (cluster backend only)")
    missing_shards: list[int] | None = Field(None, description="cluster shards with no live replica")


class StatsModel(BaseModel):
    generation: str
    schema_version: int | None = Field(description="the Whoosh index's; null for a cluster")
    documents: int
    records: int
    index_seq: int = Field(description="the record-store change the index is in step with")
    store_seq: int = Field(description="the latest change in the record store")
    built_at: float
    roles: int
    topics: int
    sources: dict[str, int]
    backend: str | None = None
    nodes: list[NodeModel] | None = None
    missing_shards: list[int] | None = None


class PushedPageModel(BaseModel):
    """One scraped page: its bytes as text or base64, and the URL it came from."""

    content: str | None = Field(None, description="the page as text")
    content_base64: str | None = Field(None, description="the page's raw bytes, base64 (decoded by detection)")
    url: str | None = None


class PushRequestModel(BaseModel):
    pages: list[PushedPageModel]


class ChangeModel(BaseModel):
    page: int = Field(description="index of the page in the request")
    id: str
    change: str = Field(description="new, updated or unchanged")


class RejectModel(BaseModel):
    page: int
    url: str | None
    reason: str


class PushResponseModel(BaseModel):
    pages: int
    new: int
    updated: int
    unchanged: int
    deleted: int
    records: list[ChangeModel]
    rejected: list[RejectModel]
    documents: int = Field(description="documents in the index after the update")


class ErrorModel(BaseModel):
    status: int
    error: str
