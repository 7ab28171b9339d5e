"""``healthqa related``: related questions for a page, a new question, or every page."""

from __future__ import annotations

import sys

import click

from healthqa.cli_common import Context, domain_errors, json_text, one_line, workers_option


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
@click.argument("record_id", required=False)
@click.option("--question", help="Free text: find existing questions related to it.")
@click.option("-k", "--limit", "k", type=click.IntRange(1, 100), default=5, show_default=True, help="How many.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of {id, question, topic, score, reasons, resolved}.")
@click.option("--all", "every", is_flag=True, help="Precompute for every indexed page (needs --out).")
@click.option("--out", type=click.Path(dir_okay=False), help="JSON-lines file for --all.")
@click.option("--stale", "stale_file", type=click.Path(exists=True, dir_okay=False),
              help="Say which pages of a precomputed file are out of date.")
@click.option("--update", "update_file", type=click.Path(exists=True, dir_okay=False),
              help="Recompute only the out-of-date and new pages of a precomputed file.")
@workers_option("compute --all / --update")
@click.pass_obj
@domain_errors
def related_command(obj: Context, record_id: str | None, question: str | None, k: int, as_json: bool, every: bool,
                    out: str | None, stale_file: str | None, update_file: str | None, workers: int) -> None:
    """Related questions for the indexed page RECORD_ID, or for --question TEXT.

    Each suggestion has an id, the question, its topic, a score and the reasons it
    was chosen (shared key terms, same topic, an explicit link on the page). With
    --all --out FILE, every page's suggestions are written for a site to load.
    """
    modes = sum(bool(m) for m in (record_id, question, every, stale_file, update_file))
    if modes != 1:
        raise click.UsageError("give exactly one of RECORD_ID, --question, --all, --stale or --update")
    if every:
        _precompute(obj, out, k, workers)
    elif stale_file or update_file:
        _freshness(obj, stale_file, update_file, workers)
    else:
        from healthqa.search.related import RelatedFinder
        from healthqa.search.searcher import Searcher

        with Searcher(obj.data_dir) as searcher:
            if searcher.doc_count == 0:
                click.echo("The index is empty: ingest some pages first ('healthqa ingest PATH').")
                return
            finder = RelatedFinder(searcher)
            found = finder.for_id(record_id, k) if record_id else finder.for_question(question or "", k)
        _print(found, as_json)


def _precompute(obj: Context, out: str | None, k: int, workers: int) -> None:
    from healthqa.search.related_batch import precompute

    if not out:
        raise click.UsageError("--all needs --out FILE")
    if sys.stderr.isatty():
        with click.progressbar(length=0, label="related", file=sys.stderr, show_pos=True) as bar:
            pages, seconds = precompute(obj.data_dir, out, k, workers, bar.update)
    else:
        pages, seconds = precompute(obj.data_dir, out, k, workers)
    rate = pages / seconds if seconds else 0.0
    click.echo(f"{pages} pages written to {out} in {seconds:.1f} s ({rate:.0f} pages/s)")


def _freshness(obj: Context, stale_file: str | None, update_file: str | None, workers: int) -> None:
    from healthqa.search.related_batch import stale, update

    if update_file:
        report = update(obj.data_dir, update_file, workers)
        click.echo(f"{update_file}: recomputed {len(report.stale)} stale and {len(report.new)} new pages, "
                   f"dropped {len(report.gone)} gone")
        return
    report = stale(obj.data_dir, stale_file)
    click.echo(f"{stale_file}: {len(report.stale)} stale, {len(report.new)} new, {len(report.gone)} gone "
               f"(file at record sequence {report.file_seq}, records now at {report.store_seq})")
    for label, ids in (("stale", report.stale), ("new", report.new), ("gone", report.gone)):
        for record_id in ids[:20]:
            click.echo(f"{label}\t{record_id}")
        if len(ids) > 20:
            click.echo(f"{label}\t... and {len(ids) - 20} more")


def register(group: click.Group) -> None:
    group.add_command(related_command)
