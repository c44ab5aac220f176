"""Detect the text encoding of a CSV export.

Excel's "Unicode Text" and SQL Server's ``bcp -w`` write UTF-16, and Excel's
"CSV UTF-8" starts the file with a byte order mark. Readers pass the detected
encoding to pandas so that all three read like plain UTF-8.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from pathlib import Path

# Bytes inspected to recognise UTF-16 without a byte order mark.
SNIFF_BYTES = 4096


def detect_encoding(path: Path) -> str:
    """Return the Python codec name for ``path``: UTF-8 (with or without BOM) or UTF-16.

    A byte order mark decides. Without one, a file whose first bytes are at least
    a quarter NUL is taken as UTF-16, because ASCII text in UTF-16 has a NUL in
    every other byte and UTF-8 text has none. It is little-endian when the NUL
    follows the first character.
    """
    with Path(path).open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 2 and head.count(0) >= len(head) // 4:
        return "utf-16-le" if head[1] == 0 else "utf-16-be"
    # utf-8-sig reads plain UTF-8 too and drops a byte order mark if present.
    return "utf-8-sig"


def encoding_note(path: Path) -> str | None:
    """Return a note when ``path`` is not plain UTF-8, for the reader's notes."""
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(len(codecs.BOM_UTF8))
    encoding = detect_encoding(path)
    if encoding.startswith("utf-16"):
        return f"{path.name}: read as UTF-16 (as Excel and SQL Server write it)"
    if head == codecs.BOM_UTF8:
        return f"{path.name}: read as UTF-8 with a byte order mark"
    return None


def utf16_notes(paths: Iterable[Path]) -> list[str]:
    """Return the encoding note of each existing file in ``paths`` that is UTF-16.

    Readers of several files use this in place of :func:`encoding_note`, because
    a UTF-8 byte order mark changes nothing in what is read.
    """
    return [
        f"{path.name}: read as UTF-16 (as Excel and SQL Server write it)"
        for path in map(Path, paths)
        if path.is_file() and detect_encoding(path).startswith("utf-16")
    ]
