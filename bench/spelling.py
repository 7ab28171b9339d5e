"""Spelling on a real index: correct words left alone, common misspellings corrected.

Usage: python bench/spelling.py DATA_DIR [--words FILE] [--misspellings FILE] [-v]

Reads the test lists (``tests/search/data/spelling/``) and asks the index's speller about
each word: how many correctly spelled words would be "corrected" (should be none), and how
many misspellings get the right correction (the tests ask for 80% on their own index).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)

from healthqa.search.searcher import Searcher  # noqa: E402
from healthqa.search.spelling import Speller  # noqa: E402

LISTS = REPO / "tests" / "search" / "data" / "spelling"


def read_words(path: pathlib.Path) -> list[str]:
    lines = (line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    return [word for line in lines for word in line.split()]


def read_pairs(path: pathlib.Path) -> list[tuple[str, str]]:
    lines = (line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#"))
    return [tuple(line.split("\t")[:2]) for line in lines]  # type: ignore[misc]


def check(speller: Speller, words: list[str], pairs: list[tuple[str, str]], verbose: bool) -> tuple[list, list]:
    wrongly = [(w, speller.word(w)) for w in words if speller.word(w)]
    right = [(bad, good, speller.word(bad)) for bad, good in pairs]
    if verbose:
        for word, correction in wrongly:
            print(f"  corrected a right word: {word} -> {correction}")
        for bad, good, got in right:
            if got != good:
                print(f"  {bad}: {got} (wanted {good})")
    return wrongly, [r for r in right if r[1] == r[2]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir")
    parser.add_argument("--words", type=pathlib.Path, default=LISTS / "correct-words.txt")
    parser.add_argument("--misspellings", type=pathlib.Path, default=LISTS / "misspellings.tsv")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    words, pairs = read_words(args.words), read_pairs(args.misspellings)
    with Searcher(args.data_dir) as searcher:
        for name, real_words in (("index only (before)", False), ("with the word lists", True)):
            speller = Speller(searcher._reader, real_words=real_words, cache_dir=searcher.data_dir,
                              min_length=3 if not real_words else 4)
            started = time.perf_counter()
            wrongly, right = check(speller, words, pairs, args.verbose and real_words)
            print(f"{name:<20} correct words corrected: {len(wrongly)}/{len(words)}; misspellings corrected "
                  f"right: {len(right)}/{len(pairs)} ({len(right) / len(pairs):.0%}) "
                  f"({time.perf_counter() - started:.1f} s)")
            if not real_words:
                print("   e.g. " + ", ".join(f"{w}->{c}" for w, c in wrongly[:12]))


if __name__ == "__main__":
    main()
