"""``healthqa ingest`` and ``healthqa records``: getting pages in and looking at them."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from healthqa import config
from healthqa.cli_common import Context, domain_errors, json_safe, json_text, one_line, wait_option, workers_option

# The store (and sqlite3) is imported inside the commands that use it: every command loads
# this module, and 'healthqa search' must start fast without it.
if TYPE_CHECKING:
    from healthqa.ingest.store import Store

# The pipeline (parsers, lxml, process pools) is imported by the command that needs it,
# so that other commands start fast.


def _show(path: str) -> str:
    """A path for a person: relative when below here, and safe for a terminal (file names are data)."""
    relative = os.path.relpath(path)
    return one_line(path if relative.startswith("..") else relative)


def _print_summary(summary) -> None:
    for path, reason in summary.skipped:
        click.echo(f"skipped {_show(path)}: {one_line(reason)}", err=True)
    for path, reason in summary.rejected:
        click.echo(f"rejected {_show(path)}: {one_line(reason)}", err=True)
    for path, warning in summary.warnings:
        click.echo(f"warning {_show(path)}: {one_line(warning)}", err=True)
    click.echo(
        f"{summary.files} files: {summary.new} new, {summary.updated} updated, "
        f"{summary.unchanged} unchanged records"
        + (f", {summary.deleted} deleted" if summary.deleted else "")
        + f"; {len(summary.rejected)} {'file' if len(summary.rejected) == 1 else 'files'} rejected"
        + (f", {len(summary.skipped)} skipped" if summary.skipped else "")
    )


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--prune", is_flag=True, help="Remove records whose origin file under PATHS is gone.")
@click.option("--follow-links", is_flag=True, help="Follow symbolic links that lead outside PATHS.")
@click.option("--max-size", type=click.FloatRange(min=0.001), default=config.DEFAULT_MAX_MB,
              show_default=True, help="Reject files larger than this many MB.")
@workers_option("parse in parallel")
@click.option("--fill-answers", type=click.Path(exists=True, dir_okay=False),
              help="CSV of judged MedQuAD answers (AnswerID,Answer) to fill answer-less records.")
@wait_option("another ingest holds the data directory")
@click.option("--profile", "profile_file", type=click.Path(exists=True, dir_okay=False),
              help="JSON file of extraction profiles (CSS selectors keyed by URL pattern) for forum pages "
                   "the automatic reading gets wrong.")
@click.option("--no-index", is_flag=True, help="Do not bring the search index up to date afterwards.")
@click.pass_obj
@domain_errors
def ingest_command(obj: Context, paths: tuple[str, ...], prune: bool, follow_links: bool, max_size: float,
                   workers: int, fill_answers: str | None, wait: float, profile_file: str | None,
                   no_index: bool) -> None:
    """Parse the pages in PATHS (files or folders, recursive) into records.

    Each file's format (text rendering, HTML, MedQuAD XML) is detected from its
    content. Unchanged files are skipped; changed pages are updated in place. Exit
    status: 0 when every file ingested or was unchanged, 1 when some were rejected.
    """
    from healthqa.ingest.fill import AnswerFill
    from healthqa.ingest.datadir import locked
    from healthqa.ingest.html_profile import load_profiles
    from healthqa.ingest.pipeline import Options

    options = Options(
        max_bytes=int(max_size * 1_048_576), follow_links=follow_links, prune=prune, workers=workers,
        fill=AnswerFill.from_csv(fill_answers) if fill_answers else None,
        profiles=load_profiles(profile_file) if profile_file else (),
    )
    with locked(obj.data_dir, "ingest.lock", wait, "ingest"):
        from healthqa.ingest.store import Store
        with Store.open(obj.data_dir, timeout=wait) as store:
            summary = _run(paths, store, options)
    _print_summary(summary)
    if not no_index:
        _update_index(obj)
    if not summary.ok:
        sys.exit(1)


def _run(paths: tuple[str, ...], store: Store, options):
    from healthqa.ingest.pipeline import ingest

    if not sys.stderr.isatty():
        return ingest(paths, store, options)
    with click.progressbar(length=0, label="ingesting", file=sys.stderr, show_pos=True) as bar:
        def step(parsed) -> None:
            bar.update(1)
        return ingest(paths, store, options, progress=step)


def _update_index(obj: Context) -> None:
    from healthqa.cli_search import update_index  # imported late: avoids a cycle at import

    update_index(obj)


@click.group("records")
def records() -> None:
    """Inspect the stored records."""


@records.command("list")
@click.option("--limit", type=click.IntRange(min=0), default=0, help="Show at most this many (0: all).")
@click.pass_obj
@domain_errors
def records_list(obj: Context, limit: int) -> None:
    """One line per record: id, answer count, question."""
    from healthqa.ingest.store import Store
    with Store.open(obj.data_dir, readonly=True) as store:
        for n, data in enumerate(store.iter_json()):
            if limit and n >= limit:
                break
            page = json.loads(data)
            click.echo(f"{one_line(page['id'])}\t{len(page['answers'])}\t{one_line(page['question'])}")


@records.command("show")
@click.argument("record_id")
@click.pass_obj
@domain_errors
def records_show(obj: Context, record_id: str) -> None:
    """Print one record as JSON."""
    from healthqa.ingest.store import Store
    with Store.open(obj.data_dir, readonly=True) as store:
        click.echo(json_text(store.get(record_id).to_dict()))


@records.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True,
              help="Output format: jsonl, one record per line.")
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-", help="File to write [default: stdout].")
@click.pass_obj
@domain_errors
def records_export(obj: Context, fmt: str, out: Any) -> None:
    """Write every record, one JSON object per line."""
    from healthqa.ingest.store import Store
    with Store.open(obj.data_dir, readonly=True) as store:
        for data in store.iter_json():
            out.write(json_safe(data) + "\n")


@records.command("rejects")
@click.pass_obj
@domain_errors
def records_rejects(obj: Context) -> None:
    """List the files the last ingests rejected, with the reason."""
    from healthqa.ingest.store import Store
    with Store.open(obj.data_dir, readonly=True) as store:
        rejects = store.rejects()
    for state in rejects:
        click.echo(f"{_show(state.path)}\t{one_line(state.reason or '')}")
    if not rejects:
        click.echo("no rejected files", err=True)


def register(group: click.Group) -> None:
    group.add_command(ingest_command)
    group.add_command(records)
