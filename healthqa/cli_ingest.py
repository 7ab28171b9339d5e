"""``healthqa ingest`` and ``healthqa records``: getting pages in and looking at them."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from healthqa.cli_common import (Context, domain_errors, json_safe, json_text, one_line, plural, setting_option,
                                 wait_option, workers_option)
from healthqa.cli_group import INTERRUPTED
from healthqa.interrupt import first_interrupt_stops
from healthqa.progress import Progress

# The store (and sqlite3) is imported inside the commands that use it: every command loads
# this module, and 'healthqa search' must start fast without it.
if TYPE_CHECKING:
    from healthqa.ingest.store import Store

# The pipeline (parsers, lxml, process pools) is imported by the command that needs it,
# so that other commands start fast.


def _show(path: str) -> str:
    """A path for a person: relative when below here, and safe for a terminal (file names are data)."""
    if "://" in path:  # a page fetched by a crawler has its URL for origin
        return one_line(path)
    relative = os.path.relpath(path)
    return one_line(path if relative.startswith("..") else relative)


def _print_summary(obj: Context, summary, paths: list[str]) -> None:
    if obj.json:
        return  # printed with the index report, as one object
    if not obj.quiet:
        for path, reason in summary.skipped:
            click.echo(f"skipped {_show(path)}: {one_line(reason)}", err=True)
        for path, warning in summary.warnings:
            click.echo(f"warning {_show(path)}: {one_line(warning)}", err=True)
    for path, reason in summary.rejected:
        click.echo(f"rejected {_show(path)}: {one_line(reason)}", err=True)
    if not obj.quiet:
        for path, note in summary.notes:
            click.echo(f"read {_show(path)}: {one_line(note)}", err=True)
    if summary.found == 0:
        click.echo(f"warning: no files found in {', '.join(map(_show, paths))}", err=True)
    click.echo(  # "records" is shared by the three counts: "1 new, 0 updated, 0 unchanged records"
        f"{plural(summary.files, 'file')}"
        + (f" ({plural(summary.pages, 'page')} or records inside crawls and imports)" if summary.pages else "")
        + f": {summary.new} new, {summary.updated} updated, "
        f"{summary.unchanged} unchanged records"
        + (f", {summary.deleted} deleted" if summary.deleted else "")
        + f"; {plural(len(summary.rejected), 'file')} rejected"
        + (f", {len(summary.skipped)} skipped" if summary.skipped else "")
        + (f", {summary.excluded} excluded" if summary.excluded else "")
    )


def _read_paths(paths: tuple[str, ...]) -> list[str]:
    """The paths given, with ``-`` replaced by the paths on stdin (one a line); each must exist."""
    found: list[str] = []
    for path in paths:
        if path != "-":
            found.append(path)
            continue
        for line in sys.stdin.read().splitlines():
            if line.strip() and not os.path.lexists(line):
                raise click.BadParameter(f"{one_line(line)!r} (read from stdin) does not exist",
                                         param_hint="'PATHS...'")
            found += [line] if line.strip() else []
    return found


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@click.option("--prune", is_flag=True, help="Remove records whose origin file under PATHS is gone.")
@click.option("--follow-links", is_flag=True, help="Follow symbolic links that lead outside PATHS.")
@click.option("--exclude", "exclude", multiple=True, metavar="GLOB",
              help="Do not read files or folders matching GLOB (repeatable; also a .healthqaignore file).")
@setting_option("max_size", "--max-size", type=click.FloatRange(min=0.001),
                help="Reject files larger than this many MB.")
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
def ingest_command(obj: Context, paths: tuple[str, ...], prune: bool, follow_links: bool, exclude: tuple[str, ...],
                   max_size: float, workers: int, fill_answers: str | None, wait: float, profile_file: str | None,
                   no_index: bool) -> None:
    """Parse the pages in PATHS (files or folders, recursive; - reads paths from stdin) into records.

    Each file's format (text rendering, HTML, MedQuAD XML) is detected from its
    content; WARC files (.warc, .warc.gz) give every page they hold, and JSONL files
    written by 'records export' are imported. Unchanged files are skipped; changed pages
    are updated in place. Files that are plainly not pages (licences, readmes, images,
    archives) are skipped and listed. Exit status: 0 when every file ingested or was
    unchanged, 1 when some were rejected, 2 on usage errors (a missing path), 130 when
    stopped by Ctrl-C.
    """
    from healthqa.ingest.fill import AnswerFill
    from healthqa.ingest.datadir import locked
    from healthqa.ingest.html_profile import load_profiles
    from healthqa.ingest.pipeline import Options

    found = _read_paths(paths)
    options = Options(
        max_bytes=int(max_size * 1_048_576), follow_links=follow_links, prune=prune, workers=workers,
        fill=AnswerFill.from_csv(fill_answers) if fill_answers else None, exclude=exclude,
        profiles=load_profiles(profile_file) if profile_file else (),
    )
    with locked(obj.data_dir, "ingest.lock", wait, "ingest"):
        from healthqa.ingest.store import Store
        with Store.open(obj.data_dir, timeout=wait) as store:
            summary = _run(obj, found, store, options)
    _print_summary(obj, summary, found)
    if summary.interrupted:
        _stopped(obj, summary)
    report = None if no_index else _update_index(obj, wait)
    if obj.json:
        click.echo(json_text(summary.to_dict() | {"index": report}))
    if not summary.ok:
        sys.exit(1)


def _run(obj: Context, paths: list[str], store: Store, options):
    from healthqa.ingest.pipeline import ingest

    message = "stopping after the files being read are saved (Ctrl-C again to stop at once)"
    with first_interrupt_stops(message) as stop, Progress(obj.progress, "ingesting", "files") as bar:
        return ingest(paths, store, options, progress=lambda parsed: bar.advance(), total=bar.start, stop=stop)


def _stopped(obj: Context, summary) -> None:
    if obj.json:
        click.echo(json_text(summary.to_dict() | {"index": None}))
    click.echo(f"stopped by Ctrl-C: the records of the {plural(summary.files, 'file')} read are saved; "
               "the index was not updated. Run the same command again to read the rest.", err=True)
    sys.exit(INTERRUPTED)


def _update_index(obj: Context, wait: float) -> dict[str, Any]:
    from healthqa.cli_search import update_index  # imported late: avoids a cycle at import

    return update_index(obj, wait)


@click.group("records")
def records() -> None:
    """Inspect the stored records."""


@records.command("list")
@click.option("--limit", type=click.IntRange(min=0), default=0, help="Show at most this many (0: all).")
@click.pass_obj
@domain_errors
def records_list(obj: Context, limit: int) -> None:
    """One line per record: id, answer count, question (--json: one JSON object a line)."""
    from healthqa.ingest.store import Store
    with Store.open(obj.data_dir, readonly=True) as store:
        for n, data in enumerate(store.iter_json()):
            if limit and n >= limit:
                break
            page = json.loads(data)
            if obj.json:
                brief = {"id": page["id"], "answers": len(page["answers"]), "question": page["question"]}
                click.echo(json_text(brief, indent=None))
            else:
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
    """List the files the last ingests rejected, with the reason (--json: a list of {path, reason})."""
    from healthqa.ingest.store import Store
    with Store.open(obj.data_dir, readonly=True) as store:
        rejects = store.rejects()
    if obj.json:
        click.echo(json_text([{"path": state.path, "reason": state.reason} for state in rejects]))
        return
    for state in rejects:
        click.echo(f"{_show(state.path)}\t{one_line(state.reason or '')}")
    if not rejects:
        click.echo("no rejected files", err=True)


def register(group: click.Group) -> None:
    group.add_command(ingest_command)
    group.add_command(records)
