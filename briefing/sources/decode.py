"""Bytes to text in whatever encoding the bytes are in."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from briefing.errors import SourceError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes, trusting a BOM, then strict UTF-8, then a declared charset, then detection.

    Returns:
        The text and the name of the encoding used.

    Raises:
        SourceError: when no encoding fits (binary data, say).
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared), declared
        except (LookupError, UnicodeDecodeError):
            pass
    if b"\x00" in data[:4096]:
        raise SourceError("binary data, not text")
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise SourceError("could not detect the text encoding")
    return str(best), best.encoding
