"""Bytes to text in whatever encoding the bytes are in, saying when the encoding was a guess.

Trusted, in order: a byte-order mark; strict UTF-8; a declared charset (the HTTP header, an XML
declaration or an HTML meta tag; latin-1 and ASCII labels are read as cp1252, as browsers do).
Otherwise the encoding is guessed, and the guess is flagged. Every encoding news was commonly
saved in before UTF-8 (Windows code pages, ISO-8859-2, KOI8-R, the East Asian multi-byte ones) is
tried on the whole text and, when the bytes also hold valid multi-byte UTF-8, so is UTF-8 with each
stray byte read in that encoding (a file pasted together from two). Each reading is scored by the
likelihood of its letters in the likeliest language written in that encoding (letter shares from
wordfreq's lists in briefing/data/letters.json, remade by `bench/decode_eval.py --write-table`),
less a penalty for each symbol inside a word and each word mixing two scripts; the likeliest
wins, and on a tie the encoding listed first (cp1252). When even the best reading looks misread
(over a quarter of its non-ASCII characters odd), charset-normalizer may name another multi-byte
encoding.
"""

from __future__ import annotations

import codecs
import json
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import NamedTuple

from charset_normalizer import from_bytes

from briefing.errors import SourceError

log = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The encodings tried when the bytes say nothing, each with the languages written in it. On a tie
# the one listed first wins: Western text is the most common, and cp1252 also reads latin-1.
LEGACY: dict[str, tuple[str, ...]] = {
    "cp1252": ("en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "nb", "fi", "ca"),
    "cp1250": ("pl", "cs", "sk", "hu", "sl", "sh", "ro"),
    "iso8859-2": ("pl", "cs", "sk", "hu", "sl", "sh", "ro"),
    "cp1254": ("tr",),
    "cp1256": ("ar", "fa", "ur"),
    "cp1251": ("ru", "uk", "bg", "mk"),
    "koi8-r": ("ru",),
    "cp1253": ("el",),
    "cp1255": ("he",),
    "cp1257": ("lt", "lv"),
    "cp932": ("ja",),  # the multi-byte ones last: a strict decode of Western bytes rarely succeeds
    "euc_jp": ("ja",),
    "gb18030": ("zh",),
    "big5": ("zh",),
    "cp949": ("ko",),
}
# Scripts whose characters are too many for a letter table: any of them is given one share.
_CJK_SCRIPTS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HANGUL", "IDEOGRAPHIC", "FULLWIDTH"})
_CJK_LANGUAGES = frozenset({"ja", "zh", "ko"})
_CJK_SHARE = 1.5e-3  # about the mean probability of a character in Chinese text (9.5 bits a character)
_AS_CP1252 = frozenset({"ascii", "latin-1", "iso8859-1"})  # labels that mean cp1252 in practice
# What charset-normalizer may name when no reading is believed (other East Asian encodings).
_MULTI_BYTE = ("shift_jis", "cp932", "euc_j", "iso2022", "gb", "big5", "hz", "euc_kr", "cp949", "johab", "utf_")
SAMPLE_BYTES = 256 * 1024  # a guess is scored on the start of a large file
# Punctuation and signs common in news in every language these encodings serve; other symbols
# (¤ ¶ ³ ¼ ...) are what a misread byte usually turns into.
PUNCTUATION = frozenset("‘’‚“”„«»‹›‐‑–—…•·€£¥°§©®™±×¿¡\u00a0\u00ad\ufffd،؛؟ـ")
_SHARES = {"punctuation": 1e-3, "mark": 1e-4, "rare letter": 1e-5, "unknown": 1e-8, "control": 1e-12}
_UPPER = 0.2  # a capital letter is this much rarer than its lower-case letter
_ODD = math.log(1e-8)  # a symbol inside a word, or two scripts inside one word
IMPLAUSIBLE = 0.25  # a reading with more odd characters than this share is not believed
_MARKS = "\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0670"  # combining marks (accents, vowel signs)
_BETWEEN_LETTERS = re.compile(rf"(?<=[^\W\d_])[^\x00-\x7f\w{_MARKS}](?=[^\W\d_])")
_NEVER_IN_WORDS = frozenset("¿¡«»¶†‡‰")
_NON_ASCII_WORD = re.compile(r"[^\W\d_]*[^\W\d_\x00-\x7f][^\W\d_]*")
_STRAY = re.compile(r"[\udc80-\udcff]+")  # bytes that are not UTF-8, after decoding with surrogateescape
_DECLARED = re.compile(
    rb"""<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)|<meta[^>]+?charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE
)


class Decoded(NamedTuple):
    """Text, the encoding it was read in, and a flag for the report when that encoding was a guess."""

    text: str
    encoding: str
    flag: str | None = None


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Decode bytes, trusting a BOM, then strict UTF-8, then a declared charset, then guessing.

    Args:
        data: the bytes of a file or page.
        declared: a charset stated outside the bytes (HTTP Content-Type); else one declared inside
            them (XML declaration, HTML meta tag) is used.

    Returns:
        The text, the encoding used, and a flag ("encoding guessed: cp1252") when it was guessed.

    Raises:
        SourceError: when no encoding fits (binary data, say).
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return Decoded(data.decode(name), name)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    stated = _charset(declared) or _charset(_declared_in(data))
    if stated:
        try:
            return Decoded(data.decode(stated), stated)
        except UnicodeDecodeError:
            log.debug("declared charset %s does not fit the bytes; guessing", stated)
    if b"\x00" in data[:4096]:
        raise SourceError("binary data, not text")
    return _guess(data)


def _declared_in(data: bytes) -> str | None:
    match = _DECLARED.search(data[:2048])
    if not match:
        return None
    return (match.group(1) or match.group(2)).decode("ascii")


def _charset(label: str | None) -> str | None:
    """A charset label as a codec name (latin-1 and ASCII as cp1252); None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name in _AS_CP1252 else name


def _guess(data: bytes) -> Decoded:
    """The likeliest reading of bytes that are not UTF-8, flagged as a guess."""
    sample = data
    if len(data) > SAMPLE_BYTES:
        cut = data.rfind(b"\n", 0, SAMPLE_BYTES)
        sample = data[: cut if cut > 0 else SAMPLE_BYTES]
    best: tuple[float, float, str] | None = None  # (score, share of odd characters, encoding)
    for encoding, text, languages in _readings(sample):
        score, per_char = plausibility(text, languages)
        if best is None or score > best[0]:
            best = (score, per_char, encoding)
    if best is None or best[1] > IMPLAUSIBLE:
        detected = from_bytes(data).best()
        if detected is not None and str(detected.encoding).startswith(_MULTI_BYTE):
            return Decoded(str(detected), detected.encoding, f"encoding guessed: {detected.encoding}")
        if best is None:
            raise SourceError("could not detect the text encoding")
    encoding = best[2]
    text, strays = _read_as(data, encoding)
    if strays:
        _, _, legacy = encoding.partition("+")
        return Decoded(text, encoding, f"encoding guessed: UTF-8 with {strays} stray byte(s) read as {legacy}")
    return Decoded(text, encoding, f"encoding guessed: {encoding}")


def _readings(data: bytes) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(encoding, text, languages) for every encoding that can read the bytes, then the mixed readings."""
    for encoding, languages in LEGACY.items():
        try:
            yield encoding, data.decode(encoding), languages
        except UnicodeDecodeError:
            continue
    loose = data.decode("utf-8", "surrogateescape")
    if not re.search(r"[^\x00-\x7f\udc80-\udcff]", loose):
        return  # no valid multi-byte UTF-8: a mixed reading would equal the whole one
    for encoding, languages in LEGACY.items():
        try:
            yield f"utf-8+{encoding}", _mend(loose, encoding), languages
        except UnicodeDecodeError:
            continue


def _mend(loose: str, encoding: str, errors: str = "strict") -> str:
    """UTF-8 text decoded with surrogateescape, its stray bytes read in a legacy encoding."""
    return _STRAY.sub(lambda m: bytes(ord(c) - 0xDC00 for c in m.group()).decode(encoding, errors), loose)


def _read_as(data: bytes, encoding: str) -> tuple[str, int]:
    """The whole of the bytes in the chosen reading, and how many bytes were stray (mixed readings)."""
    _, plus, legacy = encoding.partition("+")
    if not plus:
        return data.decode(encoding, "replace"), 0
    loose = data.decode("utf-8", "surrogateescape")
    strays = sum(len(m.group()) for m in _STRAY.finditer(loose))
    return _mend(loose, legacy, "replace"), strays


def plausibility(text: str, languages: tuple[str, ...]) -> tuple[float, float]:
    """How likely a reading is, and the share of its non-ASCII characters that look misread.

    The score is the log-likelihood of the text's letters in the likeliest of the languages, less a
    penalty for each symbol inside a word and each word mixing two scripts. ASCII letters are the
    same in every reading, but they tell languages apart: Spanish read as cp1250 fits Hungarian's
    accented vowels, while its other letters fit Spanish.
    """
    letters: Counter[str] = Counter()
    other: dict[str, int] = {}
    for char, n in Counter(text).items():
        if not char.isascii():
            other[char] = n
        elif char.isalpha():
            letters[char.lower()] += n
    if not other:
        return 0.0, 0.0
    inside = sum(1 for c in _BETWEEN_LETTERS.findall(text) if c in _NEVER_IN_WORDS or _symbol(c))
    odd = inside + sum(1 for word in _NON_ASCII_WORD.findall(text) if _mixed(word))
    score = odd * _ODD + max(
        sum(n * _log_share(c, language) for counts in (letters, other) for c, n in counts.items())
        for language in languages
    )
    odd += sum(n for c, n in other.items() if _symbol(c))
    return score, odd / sum(other.values())


def _symbol(char: str) -> bool:
    """A control character, or a symbol that is not common punctuation (what misread bytes become)."""
    category = unicodedata.category(char)
    return (category[0] in "CS" and char not in PUNCTUATION) or category == "No"


def _mixed(word: str) -> bool:
    """True when a word's letters come from two scripts (Latin and Arabic, say): a misreading."""
    return len({"CJK" if _script(c) in _CJK_SCRIPTS else _script(c) for c in word}) > 1


@cache
def _letters() -> dict[str, dict[str, float]]:
    raw = resources.files("briefing").joinpath("data/letters.json").read_text("utf-8")
    table: dict[str, dict[str, float]] = json.loads(raw)
    return table


@cache
def _log_share(char: str, language: str) -> float:
    """log of the character's share of text in the language."""
    letters = _letters().get(language, {})
    category = unicodedata.category(char)
    if char.isascii():
        share = letters.get(char, _SHARES["rare letter"])
    elif char in letters:
        share = letters[char]
    elif char.lower() in letters:
        share = letters[char.lower()] * _UPPER
    elif char in PUNCTUATION or (category[0] == "P" and language in _CJK_LANGUAGES):
        share = _SHARES["punctuation"]
    elif _script(char) in _CJK_SCRIPTS and language in _CJK_LANGUAGES:
        share = _CJK_SHARE
    elif category == "Mn":
        share = _SHARES["mark"]
    elif category.startswith("C"):
        share = _SHARES["control"]
    else:
        share = _SHARES["unknown"]
    return math.log(share)


@cache
def _script(char: str) -> str:
    """'LATIN', 'CYRILLIC', 'ARABIC'... (the first word of the character's Unicode name)."""
    return unicodedata.name(char, "?").split(" ", 1)[0]
