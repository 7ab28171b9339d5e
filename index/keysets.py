"""Sets of keys held as their hashes: what look-ups per question test most keys against
(the vocabularies' phrase keys, the lay names' keys, the topic and synonyms fields' terms),
in 8 bytes a key and a bit map, a fraction of what a Python set of the keys takes.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from typing import Hashable, Iterable, TypeVar

K = TypeVar("K", bound=Hashable)


class KeySet:
    """A set of hashable keys held as their hashes (hashes of this process: never stored), 8
    bytes a key, with a bit map of 16 bits a key in front: most keys asked for are not there,
    and the bit map tells most of them so with one read each.

    >>> KeySet(["pink eye", "sore throat"]).held(["pink eye", "red eye"])
    ['pink eye']
    """

    def __init__(self, keys: Iterable[Hashable]):
        hashes = sorted(set(map(hash, keys)))
        self._hashes = array("q", hashes)
        self._mask = max(1024, 1 << (16 * len(hashes)).bit_length()) - 1
        bits = bytearray((self._mask + 1) // 8)
        for slot in (h & self._mask for h in hashes):
            bits[slot >> 3] |= 1 << (slot & 7)
        self._bits = bytes(bits)

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, key: Hashable) -> bool:
        return bool(self.held((key,)))

    def held(self, keys: Iterable[K]) -> list[K]:
        """The ``keys`` that are in the set, in their order (a hash collision passes one more
        key: its caller's look-up finds nothing for it)."""
        bits, mask, hashes = self._bits, self._mask, self._hashes
        found = []
        for key in keys:
            slot = (code := hash(key)) & mask
            if bits[slot >> 3] >> (slot & 7) & 1:
                at = bisect_left(hashes, code)
                if at < len(hashes) and hashes[at] == code:
                    found.append(key)
        return found
