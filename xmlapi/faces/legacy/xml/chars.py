"""Which characters an XML 1.0 document can carry.

lxml refuses to write text with control characters, U+FFFE, U+FFFF or lone surrogates;
what we take in is checked with ``first_unwritable`` so that it is refused before it is
stored, and what is already stored is written with ``writable`` so a render never fails.
"""

from __future__ import annotations

import re

# The complement of XML 1.0's Char production.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
REPLACEMENT = "\ufffd"


def first_unwritable(value: str) -> int | None:
    """The position of the first character XML 1.0 cannot carry, or None."""
    found = _NOT_XML.search(value)
    return None if found is None else found.start()


def writable(value: str) -> str:
    """``value`` with every character XML 1.0 cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub(REPLACEMENT, value)
