"""``healthqa analyze``: what a question is understood to ask, and why results came out so."""

from __future__ import annotations

import click

from healthqa.cli_common import Context, domain_errors, json_text
from healthqa.search.snippets import terminal_safe


def _print_understanding(understood) -> None:
    click.echo(terminal_safe(f"question: {understood.question}"))
    if not understood.focus:
        click.echo("focus: none found (ranking uses the words alone)")
    for focus in understood.focus:
        extra = [f"topic {focus.topic!r}" if focus.topic else "", f"means {focus.canonical!r}"
                 if focus.canonical and focus.canonical.casefold() != focus.text.casefold() else ""]
        detail = "; ".join(e for e in extra if e)
        click.echo(terminal_safe(f"focus: {focus.text!r} ({focus.source}{'; ' + detail if detail else ''})"))
    if understood.expansions:
        click.echo(terminal_safe("also searched: " + ", ".join(understood.expansions)))
    if understood.qtype:
        others = ", ".join(f"{name} {p:.2f}" for name, p in understood.qtype.alternatives)
        cues = f"; from: {', '.join(understood.qtype.cues)}" if understood.qtype.cues else "; no telling words"
        click.echo(terminal_safe(f"type: {understood.qtype.name} (confidence {understood.qtype.confidence:.2f}{cues}; "
                                 f"then {others})"))
    asks = getattr(understood, "asks", None)
    if asks:
        others = ", ".join(f"{name} {p:.2f}" for name, p in asks.alternatives) or "nothing else"
        cues = f"; from: {', '.join(asks.cues)}" if asks.cues else "; no telling words"
        click.echo(terminal_safe(f"asks: {asks.name} (confidence {asks.confidence:.2f}{cues}; then {others})"))


@click.command("analyze")
@click.argument("question")
@click.pass_obj
@domain_errors
def analyze_command(obj: Context, question: str) -> None:
    """Show what QUESTION is understood to ask: its focus (and where it was found),
    the clinical names searched for its lay words, and its question type (--json: as JSON).
    """
    from healthqa.search.searcher import Searcher

    with Searcher(obj.data_dir) as searcher:
        understood = searcher.understand(question)
    if obj.json:  # the global option, before or after the command name
        click.echo(json_text(understood.to_dict()))
    else:
        _print_understanding(understood)


def register(group: click.Group) -> None:
    group.add_command(analyze_command)
