"""``healthqa index``, ``reindex``, ``search`` and ``eval``."""

from __future__ import annotations

import sys
from typing import Any

import click

from healthqa import config
from healthqa.cli_common import Context, QueryCommand, domain_errors, json_text, one_line, plural, setting_option, wait_option
from healthqa.cli_group import INTERRUPTED
from healthqa.progress import Progress
from healthqa.search.snippets import terminal_safe

DEFAULT_WAIT = config.DEFAULT_WAIT
# Index writing, evaluation and the searcher (numpy, Whoosh) are imported by the
# commands that use them, so that each command loads only what it needs.


def _report(obj: Context, report) -> dict[str, Any]:
    """Print an index report (unless --json: the caller prints it) and return its JSON shape."""
    shape = {"rebuilt": report.rebuilt, "added_or_updated": report.added_or_updated, "deleted": report.deleted,
             "documents": report.documents, "seconds": round(report.seconds, 3)}
    if not obj.json:
        what = "rebuilt" if report.rebuilt else "updated"
        rate = report.added_or_updated / report.seconds if report.seconds else 0
        click.echo(f"index {what}: {report.added_or_updated} added or updated, {report.deleted} deleted, "
                   f"{plural(report.documents, 'document')} ({report.seconds:.1f} s, {rate:.0f} docs/s)")
    return shape


def update_index(obj: Context, wait: float = DEFAULT_WAIT, rebuild: bool = False,
                 memory_mb: float | None = None) -> dict[str, Any]:
    """Bring the index in step with the store (used by ``ingest`` at its end too), with a stage
    line and a bar on a terminal; Ctrl-C cancels the write and leaves the index as it was."""
    from healthqa.index.pending import documents_to_write
    from healthqa.index.writer import rebuild as rebuild_all, sync
    from healthqa.ingest.store import Store

    with Store.open(obj.data_dir, timeout=wait) as store:
        total = documents_to_write(obj.data_dir, store, rebuild) if obj.progress else 0
        try:
            with Progress(obj.progress, f"indexing {plural(total, 'record')}", "docs") as bar:
                bar.start(total)
                report = (rebuild_all if rebuild else sync)(obj.data_dir, store, wait, bar.reach,
                                                             memory_mb or obj.config.get("index_memory_mb"))
                bar.reach(total)
        except KeyboardInterrupt:
            click.echo("\nstopped by Ctrl-C while indexing: the records are saved and the index is as it was; "
                       "run 'healthqa index' to bring it up to date.", err=True)
            sys.exit(INTERRUPTED)
    return _report(obj, report)


def _print_index_report(obj: Context, shape: dict[str, Any]) -> None:
    if obj.json:
        click.echo(json_text(shape))


def _memory_option() -> Any:
    return setting_option("index_memory_mb", "--index-memory-mb", "memory_mb",
                          type=click.FloatRange(min=config.MIN_INDEX_MEMORY_MB), metavar="MB",
                          help="Megabytes the index build may use at its peak, however many records there are.")


@click.command("index")
@wait_option("another process writes the index")
@_memory_option()
@click.pass_obj
@domain_errors
def index_command(obj: Context, wait: float, memory_mb: float) -> None:
    """Bring the search index up to date with the records (add, update, delete)."""
    _print_index_report(obj, update_index(obj, wait, memory_mb=memory_mb))


@click.command("reindex")
@wait_option("another process writes the index")
@_memory_option()
@click.pass_obj
@domain_errors
def reindex_command(obj: Context, wait: float, memory_mb: float) -> None:
    """Rebuild the index from the records into a new directory and swap it in.

    Searches keep working on the old index until the new one is in place.
    """
    _print_index_report(obj, update_index(obj, wait, rebuild=True, memory_mb=memory_mb))


def _print_hit(hit, color: bool) -> None:
    # Everything shown here came from a page: escape sequences in it must not reach the terminal.
    question = terminal_safe(f"{hit.rank}. {hit.question}")
    click.echo(click.style(question, bold=True) if color else question)
    meta = [f"topic: {hit.topic}" if hit.topic else "", f"source: {hit.source}",
            f"roles: {', '.join(hit.roles)}" if hit.roles else "", f"score {hit.score:.2f}"]
    click.echo(terminal_safe("   " + " | ".join(m for m in meta if m)))
    for answer in hit.answers:
        votes = f"{answer.votes} votes" if answer.votes is not None else ""
        who = terminal_safe(", ".join(x for x in (answer.author, answer.role, votes, "accepted" * answer.accepted) if x))
        click.echo(f"   {('[' + who + '] ') if who else ''}{answer.snippet.ansi(color)}")
    if not hit.answers:
        click.echo(f"   {hit.snippet.ansi(color)}")
    if hit.also_in:
        click.echo(terminal_safe("   also in: " + ", ".join(dict.fromkeys(source or i for i, source in hit.also_in))))
    click.echo(f"   id: {one_line(hit.id)}")


def _print_results(results, color: bool) -> None:
    for note in results.notes:
        click.echo(terminal_safe(f"note: {note}"), err=True)
    if results.corrected_from:
        click.echo(f"No results for {results.corrected_from!r}; showing results for {results.searched!r}.")
    elif results.suggestion:
        click.echo(terminal_safe(f"Did you mean: {results.suggestion}?"))
    if not results.hits:
        click.echo("No results." if results.total == 0 else f"No results on page {results.page} (of {results.pages}).")
        return
    click.echo(_shown(results, len(results.hits), "page") + "\n")
    for hit in results.hits:
        _print_hit(hit, color)
        click.echo()
    for name, counts in results.facets.items():
        if counts:
            more = len(counts) - 8 + results.facets_more.get(name, 0) if len(counts) > 8 else results.facets_more.get(name, 0)
            tail = f", and {more} more" if more > 0 else ""
            click.echo(terminal_safe(f"{name}: " + ", ".join(f"{k} ({v})" for k, v in list(counts.items())[:8]) + tail))


def _shown(results, shown: int, noun: str) -> str:
    """``"12 pages match; 1-10 shown (page 1 of 2)."``"""
    first = (results.page - 1) * results.limit + 1
    match = f"{noun} matches" if results.total == 1 else f"{noun}s match"
    return f"{results.total} {match}; {first}-{first + shown - 1} shown (page {results.page} of {results.pages})."


def _print_answers(results, color: bool) -> None:
    """One line per answer: rank, who answered (role, author, votes), the page's question, a snippet."""
    for note in results.notes:
        click.echo(terminal_safe(f"note: {note}"), err=True)
    if not results.answers:
        click.echo("No answers." if results.total == 0 else f"No answers on page {results.page} (of {results.pages}).")
        return
    click.echo(_shown(results, len(results.answers), "answer"))
    for answer in results.answers:
        votes = f"{answer.votes} votes" if answer.votes is not None else ""
        who = ", ".join(x for x in (answer.role or "no role", answer.author, votes, "accepted" * answer.accepted) if x)
        click.echo(f"{answer.rank}. [{one_line(who)}] {one_line(answer.question)} | {answer.snippet.ansi(color)}")


@click.command("search", cls=QueryCommand)
@click.argument("query")
@click.option("--role", "roles", multiple=True, help="Only pages where an answer by this expert role matches (repeatable).")
@click.option("--topic", help="Only pages on this topic.")
@click.option("--source", help="Only pages from this source.")
@setting_option("limit", "--limit", type=click.IntRange(1, 1000), help="Hits per page.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True, help="Which page of hits.")
@click.option("--answers", "by_answer", is_flag=True,
              help="List matching answers, one a line (role, author, question, snippet), not pages.")
@click.option("--no-collapse", is_flag=True,
              help="Show the same question from several sources as separate hits (default: one hit, 'also in').")
@setting_option("backend", "--backend", type=click.Choice(["whoosh", "cluster"]),
                help="Search this data directory's index or its search cluster ('healthqa cluster').")
@click.pass_obj
@domain_errors
def search_command(obj: Context, query: str, roles: tuple[str, ...], topic: str | None, source: str | None,
                   limit: int, page: int, by_answer: bool, no_collapse: bool, backend: str) -> None:
    """Search the indexed pages for QUERY (- reads queries from stdin, one a line).

    QUERY: plain words, "quoted phrases", field:value (question, answer, topic,
    role, source, type), -excluded, +required, prefix*, fuzzy~. With --json the
    results are one JSON object; queries from stdin give one object a line (JSON Lines).
    """
    from healthqa.search.backend import open_searcher
    from healthqa.search.searcher import Filters
    from healthqa.search.settings import SearchSettings

    filters = Filters(roles, topic, source)
    # Settings only when an option changes them: the defaults stay the Searcher's own.
    settings = SearchSettings(collapse_duplicates=False) if no_collapse else None
    with open_searcher(obj.data_dir, backend, obj.config.get("cluster_dir"), settings) as searcher:
        find = searcher.search_answers if by_answer else searcher.search
        if query == "-":
            if not _search_lines(find, filters, limit, page):
                sys.exit(1)
            return
        results = find(query, filters, limit=limit, page=page)
    if obj.json:
        click.echo(json_text(results.to_dict()))
    else:
        color = obj.color()
        click.get_current_context().color = color  # click.echo keeps (or strips) the styles accordingly
        (_print_answers if by_answer else _print_results)(results, color=color)


def _search_lines(find, filters, limit: int, page: int) -> bool:
    """Each line of stdin searched, one JSON object a line; a query that cannot be read gives
    ``{"query", "error"}`` and the rest go on. Returns whether every query could be read."""
    from healthqa.ingest.errors import QueryError

    ok = True
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        try:
            shape = find(text, filters, limit=limit, page=page).to_dict()
        except QueryError as exc:
            ok = False
            shape = {"query": text, "error": str(exc)}
        click.echo(json_text(shape, indent=None))
    return ok


@click.command("eval")
@click.argument("queries", type=click.Path(exists=True, dir_okay=False))
@click.argument("qrels", type=click.Path(exists=True, dir_okay=False))
@click.option("--field", "form", type=click.Choice(["paraphrase", "subject+message"]), default="paraphrase",
              show_default=True, help="Which text of a LiveQA query to search with.")
@click.option("--run", "run_path", type=click.Path(dir_okay=False, writable=True), help="Write a TREC run file here.")
@setting_option("backend", "--backend", type=click.Choice(["whoosh", "cluster"]),
                help="Evaluate this data directory's index or its search cluster ('healthqa cluster').")
@click.pass_obj
@domain_errors
def eval_command(obj: Context, queries: str, qrels: str, form: str, run_path: str | None, backend: str) -> None:
    """Run judged QUERIES against the index and print relevance measures.

    QUERIES: 'qid<TAB>text' lines or the LiveQA queries.tsv layout; QRELS:
    'qid 0 docid grade' lines.
    """
    from healthqa.search.backend import open_searcher
    from healthqa.search.evaluate import MEASURES, evaluate, read_qrels, read_queries, write_run

    with open_searcher(obj.data_dir, backend, obj.config.get("cluster_dir")) as searcher:
        means, runs = evaluate(read_queries(queries, form), read_qrels(qrels),
                               lambda text: searcher.ranked_ids(text, 10))
    if obj.json:
        click.echo(json_text({"queries": means["queries"]} | {m: round(means[m], 4) for m in MEASURES}))
    else:
        click.echo(f"queries {means['queries']}  " + "  ".join(f"{m} {means[m]:.3f}" for m in MEASURES))
    if run_path:
        write_run(run_path, runs)


def register(group: click.Group) -> None:
    for command in (index_command, reindex_command, search_command, eval_command):
        group.add_command(command)
