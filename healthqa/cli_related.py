"""``healthqa related``: related questions for a page, a new question, or every page."""

from __future__ import annotations

import sys

import click

from healthqa import progress
from healthqa.cli_common import Context, domain_errors, json_text, one_line, plural, setting_option, workers_option
from healthqa.cli_group import INTERRUPTED
from healthqa.progress import Progress


def _print(suggestions: list, as_json: bool) -> None:
    if as_json:
        click.echo(json_text([s.to_dict() for s in suggestions]))
        return
    if not suggestions:
        click.echo("No related questions found.")
    for n, s in enumerate(suggestions, 1):
        score = "linked" if s.linked else f"{s.score:.2f}"
        # Questions, topics, reasons and ids all come from pages: shown as text, never as escapes.
        click.echo(f"{n}. {one_line(s.question)}" + ("" if s.resolved else "  (not indexed)"))
        topic = f"topic: {one_line(s.topic)} | " if s.topic else ""
        click.echo(f"   {topic}score {score} | {one_line('; '.join(s.reasons))}")
        if s.also_in:
            click.echo(one_line("   also in: " + ", ".join(dict.fromkeys(source or i for i, source in s.also_in))))
        if s.id:
            click.echo(f"   id: {one_line(s.id)}")


@click.command("related")
@click.argument("record_id", nargs=-1)
@click.option("--question", help="Free text: find existing questions related to it (quote it).")
@click.option("-k", "--limit", "k", type=click.IntRange(1, 100), default=5, show_default=True, help="How many.")
@click.option("--all", "every", is_flag=True, help="Precompute for every indexed page (needs --out).")
@click.option("--out", type=click.Path(dir_okay=False), help="JSON-lines file for --all.")
@click.option("--stale", "stale_file", type=click.Path(exists=True, dir_okay=False),
              help="Say which pages of a precomputed file are out of date.")
@click.option("--update", "update_file", type=click.Path(exists=True, dir_okay=False),
              help="Recompute only the out-of-date and new pages of a precomputed file.")
@workers_option("compute --all / --update")
@setting_option("backend", "--backend", type=click.Choice(["whoosh", "cluster"]),
                help="Find them in this data directory's index or its search cluster ('healthqa cluster').")
@click.pass_obj
@domain_errors
def related_command(obj: Context, record_id: tuple[str, ...], question: str | None, k: int, every: bool,
                    out: str | None, stale_file: str | None, update_file: str | None, workers: int,
                    backend: str) -> None:
    """Related questions for the indexed page RECORD_ID, or for --question TEXT.

    Each suggestion has an id, the question, its topic, a score and the reasons it
    was chosen (shared key terms, same topic, an explicit link on the page). With
    --all --out FILE, every page's suggestions are written for a site to load.
    --json prints a list of {id, question, topic, score, reasons, resolved}.
    """
    if question is not None and record_id:
        words = " ".join((question, *record_id))
        raise click.UsageError(f"--question takes one argument: put the question in quotes, "
                               f"as in --question {one_line(repr(words))}")
    if len(record_id) > 1:
        raise click.UsageError("give one RECORD_ID (an id from 'healthqa search' or 'healthqa records list')")
    record = record_id[0] if record_id else None
    modes = sum(bool(m) for m in (record, question, every, stale_file, update_file))
    if modes != 1:
        raise click.UsageError("give exactly one of RECORD_ID, --question, --all, --stale or --update")
    if every:
        _precompute(obj, out, k, workers, backend)
    elif stale_file or update_file:
        _freshness(obj, stale_file, update_file, workers, backend)
    else:
        _related(obj, record, question, k, backend)


def _related(obj: Context, record: str | None, question: str | None, k: int, backend: str) -> None:
    from healthqa.search.backend import open_searcher, related_finder

    with open_searcher(obj.data_dir, backend, obj.config.get("cluster_dir")) as searcher:
        if backend == "whoosh" and searcher.doc_count == 0:
            click.echo("The index is empty: ingest some pages first ('healthqa ingest PATH').")
            return
        finder = related_finder(searcher)
        found = finder.for_id(record, k) if record else finder.for_question(question or "", k)
        if finder.missing_shards:
            click.echo(f"partial results: shard {', '.join(map(str, finder.missing_shards))} of "
                       f"{len(searcher.layout.shards)} has no live replica; its pages are missing", err=True)
    _print(found, obj.json)


def _precompute(obj: Context, out: str | None, k: int, workers: int, backend: str) -> None:
    from healthqa.search.related_batch import precompute

    if not out:
        raise click.UsageError("--all needs --out FILE")
    try:
        with Progress(obj.progress, "relating pages", "pages") as bar:
            pages, seconds = precompute(obj.data_dir, out, k, workers, bar.advance, total=bar.start, backend=backend,
                                        cluster_dir=obj.config.get("cluster_dir"))
    except KeyboardInterrupt:
        click.echo(f"\nstopped by Ctrl-C: {out} is as it was; run the command again.", err=True)
        sys.exit(INTERRUPTED)
    rate = pages / seconds if seconds else 0.0
    if obj.json:
        click.echo(json_text({"pages": pages, "out": out, "seconds": round(seconds, 3)}))
        return
    click.echo(f"{plural(pages, 'page')} written to {one_line(out)} in {seconds:.1f} s ({rate:.0f} pages/s)")


def _freshness(obj: Context, stale_file: str | None, update_file: str | None, workers: int, backend: str) -> None:
    from healthqa.search.related_batch import stale, update

    if update_file:
        progress.stage(obj.progress, f"recomputing out-of-date pages of {one_line(update_file)}")
        report = update(obj.data_dir, update_file, workers, backend, obj.config.get("cluster_dir"))
        if obj.json:
            click.echo(json_text(_staleness(report)))
            return
        click.echo(f"{one_line(update_file)}: recomputed {len(report.stale)} stale and "
                   f"{plural(len(report.new), 'new page')}, dropped {len(report.gone)} gone")
        return
    report = stale(obj.data_dir, stale_file)
    if obj.json:
        click.echo(json_text(_staleness(report)))
        return
    click.echo(f"{stale_file}: {len(report.stale)} stale, {len(report.new)} new, {len(report.gone)} gone "
               f"(file at record sequence {report.file_seq}, records now at {report.store_seq})")
    for label, ids in (("stale", report.stale), ("new", report.new), ("gone", report.gone)):
        for record_id in ids[:20]:
            click.echo(f"{label}\t{record_id}")
        if len(ids) > 20:
            click.echo(f"{label}\t... and {len(ids) - 20} more")


def _staleness(report) -> dict:
    """The ``related --stale/--update --json`` shape."""
    return {"stale": list(report.stale), "new": list(report.new), "gone": list(report.gone),
            "file_seq": report.file_seq, "store_seq": report.store_seq}


def register(group: click.Group) -> None:
    group.add_command(related_command)
