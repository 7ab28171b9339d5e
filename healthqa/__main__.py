"""``python -m healthqa``: the same as the ``healthqa`` command."""

from healthqa.cli import main

main()
