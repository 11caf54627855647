"""Check that an English sentence says what its source says. Pure functions.

A small model's translation can flip a fact while its citation looks right ("inflation slowed
to 1.9%" -> "inflation has risen 1.9 percentage points"). Before a sentence enters the digest
its checkable facts are compared with the cited source text:

* numbers, normalised across locales (1.200 = 1,200; 0,25 = 0.25; "10,5 Mrd" = 10.5 billion),
  and English number words; every figure in the English must be in the source;
* bounds on figures: "more than 200" must not become "200" or "less than 200";
* weekdays and months (names from CLDR, through babel, in every language), "yesterday",
  "today", "tomorrow", Christmas, New Year's Eve and Easter, warning colours, "percentage
  points" and currencies;
* names of people, places and organisations: each must be found in the source, spelled the
  same, inflected, transliterated (Arabic, Cyrillic) or as the source language's own name for a
  country, language or city (CLDR);
* direction words (rise/fall, hire/fire, open/close, win/lose) and "to"/"by" before a figure
  must not turn into their opposites; a negation must not appear or vanish;
* a translation caught in a loop (the same words again, back to back) is refused;
* false friends rendered by their look-alike (reporté "postponed" as "reported", licenziato
  "fired" as "licensed"), words left untranslated and commentary about "the article" are
  refused.

What cannot be checked (a script without names to compare, a language without a lexicon) is
passed, not guessed: the checks only ever refuse on evidence.
"""

from __future__ import annotations

import itertools
import json
import math
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple

import regex
from anyascii import anyascii
from babel import Locale, UnknownLocaleError
from babel.dates import get_timezone_location
from num2words import num2words

from briefing.budget import TiktokenCounter
from briefing.words import english_zipf, known

ENGLISH = "en"
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}'’]+(?:-[\p{L}\p{M}\p{N}]+)*")
# A figure not glued to letters of scripts that space their words (next to Han or kana it counts).
_NUMBER = regex.compile(
    r"(?<![\p{N}]|[\p{L}--[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]])"
    r"(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:[.,]\d+)*)(?:[.,](?!\d))?",
    regex.V1,
)
_TIME = regex.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s?m\b\.?", regex.IGNORECASE)
_CLOCK = regex.compile(r"\b(\d{1,2})[:.](\d{2})\b")
_ENGLISH_CLOCK = regex.compile(r"\b(\d{1,2}):(\d{2})\b")
_HALF = regex.compile(r"\s*½|[\s-]+and[\s-]+(?:a|one)[\s-]+half\b(?!-?time)", regex.IGNORECASE)  # 2½, "two and a half"
# "deux ans et demi", "dos años y medio", "due anni e mezzo": the half comes after the unit.
_UNIT_AND_A_HALF = regex.compile(
    r"\s+\p{L}+\s+(?:et|y|e)\s+(?:demie?|media|medio|mezz[oa]|mei[oa])(?!\p{L})", regex.IGNORECASE
)
_A_DECADE = regex.compile(r"(?<=\b(?:a|one)\s+)decade\b", regex.IGNORECASE)
_CAPITALISED = regex.compile(r"\p{Lu}[\p{L}\p{M}'’.-]*")
_SENTENCE_GAP = regex.compile(r"[.!?:;\"“”«»(]\s+|\n")  # what ends before a sentence starts
_SENTENCE_START = regex.compile(rf"(?:^|{_SENTENCE_GAP.pattern})$")  # a text that ends where one starts
# In English a quote mark may open the sentence too ('"Canicule is coming," he said': a copied word,
# not a name). Not in a source, where a name often opens a sentence in quotes («Avvenire» scrive).
_ENGLISH_SENTENCE_GAP = regex.compile(rf"(?:^|{_SENTENCE_GAP.pattern})[\"'“‘(]*")
_ENGLISH_SENTENCE_START = regex.compile(rf"(?:{_ENGLISH_SENTENCE_GAP.pattern})$")
_DOTTED_ACRONYM = regex.compile(r"\b(?:\p{Lu}\.){2,}")
_LETTER = regex.compile(r"\p{L}")
_LATIN_LETTER = regex.compile(r"\p{Latin}")
# Letters English words do not use (case-folded text; no case-insensitive match: 'i' ~ 'ı').
_NON_ENGLISH_LETTER = regex.compile(r"[ąćęłńśźżışğőűøåæœßäöüõãñçčřšžěůďťň]")
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل")
_SCRIPTS_WITHOUT_NAMES = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}]")
# Prepositions before a figure that say whether it is the new level ("to") or the change ("by").
_TO_BY = {
    "en": {"to": ["to"], "by": ["by"]},
    "de": {"to": ["auf"], "by": ["um"]},
    "fr": {"to": ["à"], "by": ["de"]},
    "es": {"to": ["a", "al", "hasta"], "by": ["en"]},
    "it": {"to": ["a", "al", "all'"], "by": ["di", "del"]},
    "pt": {"to": ["para"], "by": ["em"]},
    "nl": {"to": ["naar", "tot"], "by": ["met"]},
    "sv": {"to": ["till"], "by": ["med"]},
    "pl": {"to": ["do"], "by": ["o"]},
}
# Finnish marks "to" and "by" with case endings on the word after the figure (prosenttiin, -lla).
_FI_TO = regex.compile(r"^\w+(?:iin|seen|aan|ään|een|oon|öön|uun|yyn|hin)$")
_FI_BY = regex.compile(r"^\w+(?:lla|llä)$")
# English words that look like names at the start of a sentence but are ordinary.
_COMMON_CAPS = (
    "i a an the this that these those it its he she they we you his her their our my your there here "
    "in on at of for with from by to as after before during since until while when where if but and or "
    "yet so also however meanwhile according about among under over between despite through against "
    "mr mrs ms dr prof sir st"
)
_ENGLISH_COMMON_CAPS = frozenset(_COMMON_CAPS.split())
_ENGLISH_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100,
}  # fmt: skip
_DECIMAL_LANGUAGES = "de fr es it pt nl sv da no fi pl tr ru uk cs sk sl hr ro hu et lv lt el id"
_DECIMAL_COMMA = frozenset(_DECIMAL_LANGUAGES.split())


@dataclass(frozen=True)
class Problem:
    """One way an English sentence disagrees with its source."""

    kind: str  # number, calendar, name, direction, negation, unit, false_friend, untranslated, commentary, garbled
    message: str
    omission: bool = False  # the English leaves out what the source says (rather than adding to it)

    def __str__(self) -> str:
        return self.message


@lru_cache(maxsize=1)
def _facts() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("briefing").joinpath("data/facts.json").read_text("utf-8"))
    return data


@dataclass(frozen=True)
class Text:
    """A text prepared for matching: lowercased, its words and its language.

    Equal (and hashed) by its raw text and language alone, so what is worked out about a source
    once (its lexicon hits, its names' forms) is reused for every sentence checked against it.
    """

    raw: str
    language: str
    lower: str = field(compare=False)
    words: tuple[str, ...] = field(compare=False)

    @classmethod
    def of(cls, raw: str, language: str | None) -> Text:
        """Prepare a text; an unknown language is treated as English for number formats."""
        return _prepared(raw, (language or "und").lower())

    def around(self, start: int, end: int) -> str:
        """raw[start:end] case-folded: offsets found in raw stay right ("ß" folds to two letters)."""
        return self.raw[max(0, start) : end].casefold()

    @classmethod
    def _make(cls, raw: str, language: str) -> Text:
        lower = raw.casefold()
        words = [w.strip("'’") for w in _WORD.findall(lower)]
        # Elisions and suffixes after an apostrophe: l'Insee -> insee, Suriye'deki -> suriye.
        parts = [p for w in words if "'" in w or "’" in w for p in regex.split(r"['’]", w) if p]
        return cls(raw, language, lower, tuple(words + parts))


@lru_cache(maxsize=256)
def _prepared(raw: str, language: str) -> Text:
    return Text._make(raw, language)


def has_entry(text: Text, entry: str) -> bool:
    """Whether a lexicon entry occurs: a word prefix, a whole word (trailing space) or a phrase."""
    entry = entry.casefold()
    if not entry.strip(" .").isalnum() and " " not in entry.strip() and not any(c.isalpha() for c in entry):
        return entry.strip() in text.lower  # a symbol: €, $, %
    if text.language == "ar":
        return entry.strip() in text.lower
    if " " in entry.strip():
        return regex.search(r"(?<![\p{L}])" + regex.escape(entry.strip()), text.lower) is not None
    if entry.endswith(" "):
        return entry.strip() in text.words
    return any(w.startswith(entry) for w in text.words)


class _Same:
    """A lexicon table as a cache key: the tables are loaded once, so the object is the table."""

    def __init__(self, table: dict[str, dict[str, list[str]]]) -> None:
        self.table = table

    def __hash__(self) -> int:
        return id(self.table)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.table is self.table


def lexicon_hits(text: Text, table: dict[str, dict[str, list[str]]]) -> set[str]:
    """The keys of a {key: {language: entries}} table whose entries occur in the text."""
    return set(_hits(text, _Same(table)))


@lru_cache(maxsize=4096)
def _hits(text: Text, same: _Same) -> frozenset[str]:
    return frozenset(
        key
        for key, by_language in same.table.items()
        if any(has_entry(text, e) for e in by_language.get(text.language, []))
    )


def covered(table: dict[str, dict[str, list[str]]], language: str) -> bool:
    """Whether a table has entries for a language (else its check cannot say anything)."""
    return any(language in by_language for by_language in table.values())


# Numbers ---------------------------------------------------------------------------------------


def _interpretations(raw: str, language: str) -> set[float]:
    """The values a written figure may stand for: "1.200" is 1200 in German and 1.2 in English."""
    text = raw.rstrip(".,").replace("\u00a0", " ").replace("\u202f", " ")
    if " " in text:
        return {float(text.replace(" ", ""))}
    seps = [c for c in text if c in ".,"]
    if not seps:
        return {float(text)}
    groups = regex.split(r"[.,]", text)
    if len(set(seps)) == 2:
        decimal = seps[-1]
        whole, _, frac = text.rpartition(decimal)
        return {float(whole.replace(".", "").replace(",", "") + "." + frac)}
    if len(seps) > 1:
        return {float("".join(groups))} if all(len(g) == 3 for g in groups[1:]) else set()
    whole, frac = groups
    values = {float(f"{whole}.{frac}")}
    if len(frac) == 3:
        grouped = float(whole + frac)
        decimal_sep = "," if language in _DECIMAL_COMMA else "."
        # The separator that is not the language's decimal mark groups thousands; keep both
        # readings when the writer may have used either convention.
        values = {grouped} if seps[0] != decimal_sep else {grouped, *values}
    return values


def _scale_after(text: Text, end: int) -> float:
    """The scale a word after a figure gives it (10 Mio. -> 1e6), the longest word matching
    ("mil millones" is 1e9, not "mil"); the text's language's own scale words first."""
    following = text.around(end, end + 16).lstrip(" \u00a0")
    best, best_length = 1.0, 0
    tables = (_facts()["number_scales_by_language"].get(text.language, {}), _facts()["number_scales"])
    for table in tables:
        for factor, words in table.items():
            for word in words:
                fits = following.startswith(word) and (
                    len(following) == len(word) or not following[len(word)].isalpha()
                )
                if fits and len(word) > best_length:
                    best, best_length = float(factor), len(word)
        if best_length:
            return best
    return best


def numbers(text: Text) -> dict[float, str]:
    """Every value a text's figures may stand for, with scales applied, -> the figure as written."""
    found: dict[float, str] = {}
    for match in _NUMBER.finditer(text.raw):
        raw = match.group(0)
        values, end = _with_half(text, match.end(), _interpretations(raw, text.language))
        scale = _scale_after(text, end)
        for value in values:
            found.setdefault(value, raw.rstrip(".,"))
            if scale != 1.0:
                found.setdefault(value * scale, raw.rstrip(".,"))
    for match in _CLOCK.finditer(text.raw):
        found.setdefault(float(match.group(1)) * 100 + float(match.group(2)), match.group(0))
    return found


def _english_values(english: Text) -> list[tuple[str, set[float]]]:
    """The figures of an English sentence, each with the values it may stand for.

    Clock times count as one figure: "6:30 p.m." may stand for 18.30 or 6.30 in the source.
    """
    figures: list[tuple[str, set[float]]] = []
    clock_spans: list[tuple[int, int]] = []
    for match in _TIME.finditer(english.raw):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        pm = 12 if match.group(3).lower() == "p" and hour < 12 else 0
        values = {float(hour + pm), float(hour), float((hour + pm) * 100 + minute), float(hour * 100 + minute)}
        figures.append((match.group(0).strip(), values))
        clock_spans.append(match.span())
    for match in _ENGLISH_CLOCK.finditer(english.raw):
        if not any(a <= match.start() < b for a, b in clock_spans):
            figures.append((match.group(0), {float(match.group(1)) * 100 + float(match.group(2))}))
            clock_spans.append(match.span())
    for match in _NUMBER.finditer(english.raw):
        if any(a <= match.start() < b for a, b in clock_spans):
            continue
        raw = match.group(0).rstrip(".,")
        values, end = _with_half(english, match.end(), _interpretations(raw, ENGLISH))
        raw = english.raw[match.start() : end] if end != match.end() else raw  # "2½"
        scale = _scale_after(english, end)
        figures.append((raw, {v * scale for v in values}))  # "250 billion" is not "250 Mio."
    for word in english.words:
        if word in _ENGLISH_NUMBER_WORDS:
            value = float(_ENGLISH_NUMBER_WORDS[word])
            half = regex.search(rf"\b{word}(?:{_HALF.pattern})", english.lower) is not None
            figures.append((word, {value + 0.5} if half else {value}))
    return figures


def _with_half(text: Text, end: int, values: set[float]) -> tuple[set[float], int]:
    """A figure's values, each and a half where "½" or "and a half" follows it ("2½": 2.5) or, in
    Romance languages, its unit ("dos años y medio"), and where its words end (a scale word comes
    after the half: "2½ million")."""
    half = _HALF.match(text.raw, end)
    if half:
        return {v + 0.5 for v in values}, half.end()
    if text.language in ("fr", "es", "it", "pt") and _UNIT_AND_A_HALF.match(text.raw, end):
        return {v + 0.5 for v in values}, end  # a scale word would come before the unit
    return values, end


@lru_cache(maxsize=64)
def _number_words(language: str) -> dict[str, float]:
    """Number words one to twelve (and round tens) in a language, via num2words when it knows it."""
    words: dict[str, float] = {}
    for value in [*range(1, 13), 20, 30, 40, 50, 100]:
        try:
            word = str(num2words(value, lang=language)).casefold()
        except (NotImplementedError, KeyError, TypeError, ValueError, OverflowError):
            return {}
        words[word] = float(value)
    # Forms num2words does not give: feminine, inflected (duas semanas, do pięciu lat).
    return words | {w: float(v) for w, v in _facts()["number_words"].get(language, {}).items()}


def _number_words_of(language: str) -> dict[str, float] | dict[str, int]:
    """A language's number words: English's own table, else num2words' (and facts.json's) forms."""
    return _ENGLISH_NUMBER_WORDS if language == ENGLISH else _number_words(language)


@lru_cache(maxsize=1024)
def _number_compounds(text: Text) -> tuple[tuple[regex.Match[str], str, float], ...]:
    """Words that start with a number word and go on ("siebeneinhalb", "zweijährige"): the word's
    match, what follows the number word, and its value. Only for languages that glue them (de, nl)."""
    if not (_facts()["number_compounds"].get(text.language) or _facts()["unit_compounds"].get(text.language)):
        return ()
    words = _number_words_of(text.language)
    found = []
    for match in _WORD.finditer(text.raw):  # offsets in raw: "ß" folds to two letters
        word = match.group(0).casefold()
        found += [(match, word[len(n) :], float(v)) for n, v in words.items() if word.startswith(n) and word != n]
    return tuple(found)


def _close(value: float, candidates: Iterable[float]) -> bool:
    return any(math.isclose(value, c, rel_tol=1e-6, abs_tol=1e-9) for c in candidates)


# A round-number noun counts with the "of" after it: "une quarantaine de" (about forty), not "en
# quarantaine" (in quarantine), "una decena de", not "la cuarentena durará".
_APPROXIMATE_OF = {lang: r"\s+(?:de|d['’]|di|da|do|dos|das|del|degli|delle)" for lang in ("fr", "es", "it", "pt")}


@lru_cache(maxsize=1024)
def _worded_figures(text: Text) -> frozenset[float]:
    """Figures a text gives in words: number words (with their scale: "dos millones"), number
    words in compounds ("siebeneinhalb", "zehnjährig") and round-number nouns ("une trentaine")."""
    facts = _facts()
    found: set[float] = set()
    for figure in _figures(text):
        if figure.raw.isalpha():
            found |= {*figure.values, *(v * _scale_after(text, figure.end) for v in figure.values)}
    words = _number_words_of(text.language)
    found |= {float(value) for word, value in words.items() if word in text.words}  # "eins", "one"
    found |= {v for figure, _ in _time_spans(text) if figure.raw.isalpha() for v in figure.values}  # un an et demi
    tails = tuple(facts["number_compounds"].get(text.language, []))
    for _, rest, value in _number_compounds(text):
        if tails and rest.startswith(tails):
            found |= {value, value + 0.5} if rest.startswith(_HALF_COMPOUNDS) else {value}  # zweieinhalb: 2.5
    of = _APPROXIMATE_OF.get(text.language, "")
    for noun, value in facts["approximate_numbers"].get(text.language, {}).items():
        if regex.search(rf"(?<!\p{{L}}){regex.escape(noun)}\p{{L}}*{of}", text.lower):
            found.add(float(value))
    return frozenset(found)


def check_numbers(english: Text, source: Text) -> list[Problem]:
    """Every figure of the English sentence must be a figure of the source."""
    available = set(numbers(source)) | _worded_figures(source)
    words = _number_words(source.language) if source.language != ENGLISH else {}
    problems = []
    for raw, values in _english_values(english):
        if raw.isalpha() and not words and source.language != ENGLISH:
            continue  # no number words known for this language: "two" cannot be checked
        if raw.isalpha() and raw == "one":
            continue  # "one of the", "one person": too common to check
        if not any(_close(v, available) for v in values):
            problems.append(Problem("number", f"the figure '{raw}' is not in the source"))
    return problems


# Calendar, colours, units ----------------------------------------------------------------------


@lru_cache(maxsize=64)
def _locales(language: str) -> tuple[Locale, Locale] | None:
    """CLDR data of a language and of English; None for a language CLDR does not know."""
    try:
        return Locale.parse(language), Locale.parse(ENGLISH)
    except (UnknownLocaleError, ValueError):
        return None


@lru_cache(maxsize=64)
def _calendar(language: str) -> dict[str, tuple[str, ...]]:
    """Weekday and month names of a language (CLDR), keyed by their English name."""
    locales = _locales(language)
    if locales is None:
        return {}
    locale, english = locales
    names: dict[str, set[str]] = {}
    # Abbreviations are ambiguous in alphabetic scripts ("Mar", "Jul"), not in CJK (周二).
    widths = ("wide", "abbreviated") if language in ("zh", "ja", "ko") else ("wide",)
    for kind in ("days", "months"):
        for context in ("format", "stand-alone"):
            for width in widths:
                local = getattr(locale, kind)[context][width]
                for key, name in getattr(english, kind)["format"]["wide"].items():
                    names.setdefault(name.casefold(), set()).add(str(local[key]).casefold())
    if language == "pt":  # news writes "na segunda", "na sexta" for segunda-feira, sexta-feira
        for forms in names.values():
            forms |= {f.removesuffix("-feira") for f in forms if f.endswith("-feira")}
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in names.items()}


# Portuguese weekdays without "-feira" are also ordinals (segunda: second): whole words, after a
# preposition ("na sexta", "até segunda"), not before a noun an ordinal counts ("sexta vez").
_SHORT_WEEKDAYS = frozenset(["segunda", "terça", "quarta", "quinta", "sexta"])
_SHORT_WEEKDAY_BEFORE = frozenset(
    [
        *("na", "no", "à", "a", "de", "da", "até", "desde", "nesta", "neste"),
        *("próxima", "última", "esta", "cada", "toda", "e"),
    ]
)
_ORDINAL_NOUN_AFTER = regex.compile(
    r"^\s+(?:vez|volta|fase|parte|edição|maior|melhor|etapa|temporada|divisão|guerra|onda|dose|instância"
    r"|votação|colocad|posição|mão|classe|geração|feira)"
)
# German and Dutch glue weekdays into compounds (Karfreitag, Pfingstmontag, zaterdagavond): a
# name inside a word counts at its end or before a time of day, not in Endmontage.
_COMPOUND_DAY_TAILS = {
    "de": frozenset(["", "s", "abend", "abends", "morgen", "nachmittag", "vormittag", "nacht", "mittag"]),
    "nl": frozenset(["", "s", "avond", "ochtend", "middag", "nacht", "morgen"]),
}


def _stem(word: str) -> str:
    """A prefix that survives inflection: 'sunnuntai' matches 'sunnuntaina', 'niedziela' 'niedzielę'."""
    return word if len(word) <= 4 else word[: max(4, len(word) - 2)]


def _calendar_hits(text: Text) -> set[str]:
    """English names of the weekdays and months a text mentions."""
    hits = {name for _, _, name in _calendar_mentions(text)}
    if text.language in ("ja", "zh", "ko"):
        table = _calendar(text.language)
        hits |= {name for name, forms in table.items() if any(f in text.lower for f in forms)}
    return hits


@lru_cache(maxsize=64)
def _calendar_forms(language: str) -> tuple[tuple[str, str, str, str], ...]:
    """(English name, form, stem, how it is matched: exact | inside | prefix) for a language."""
    forms = []
    for english_name, names in _calendar(language).items():
        for form in names:
            if " " in form or len(form) < 3:
                continue
            if language == ENGLISH or form in _SHORT_WEEKDAYS:  # "may" is not "mayor"
                forms.append((english_name, form, form, "exact"))
            else:
                # Dutch does not inflect them, and a shorter stem reads words: maand (month) in maandag.
                stem = form if language == "nl" else _stem(form)
                inside = language == "ar" or (language in _COMPOUND_DAY_TAILS and len(form) >= 6)
                forms.append((english_name, form, stem, "inside" if inside else "prefix"))
    return tuple(forms)


@lru_cache(maxsize=64)
def _calendar_quick(language: str) -> regex.Pattern[str]:
    """A pattern every word naming a weekday or month contains (its stem or form): words without
    it are skipped at once, so a long article costs one search per word."""
    stems = {stem for _, _, stem, _ in _calendar_forms(language)}  # every form starts with its stem
    return regex.compile("|".join(regex.escape(p) for p in sorted(stems, key=len, reverse=True)) or "(?!)")


@lru_cache(maxsize=1024)
def _calendar_mentions(text: Text) -> tuple[tuple[int, int, str], ...]:
    """The weekdays and months a text names, as (start, end, English name), in the text's order."""
    # English names are capitalised; lower-case "may" and "march" are verbs.
    pattern = r"\p{Lu}\p{Ll}+" if text.language == ENGLISH else _WORD
    mentions = []
    quick = _calendar_quick(text.language)
    for match in regex.finditer(pattern, text.raw):
        word = match.group(0).casefold().strip("'’")
        if not quick.search(word):
            continue
        parts = regex.split(r"['’]", word) if "'" in word or "’" in word else [word]
        best, best_length = None, 0
        for english_name, form, stem, how in _calendar_forms(text.language):
            if len(stem) <= best_length:
                continue
            if how == "exact":
                found = word == form and (form not in _SHORT_WEEKDAYS or _weekday_in_context(text, match))
            elif how == "inside" and _inside(word, form, text.language):
                found = True
            else:
                found = text.language != "ar" and any(p.startswith(stem) for p in parts)
            if found:
                best, best_length = english_name, len(stem)
        if best:
            mentions.append((match.start(), match.end(), best))
    return tuple(mentions)


def _weekday_in_context(text: Text, match: regex.Match[str]) -> bool:
    """Whether a Portuguese short weekday reads as a day ("na sexta"), not an ordinal ("sexta vez")."""
    before = text.raw[: match.start()].split()[-1:]
    return (
        bool(before)
        and before[0].casefold() in _SHORT_WEEKDAY_BEFORE
        and not _ORDINAL_NOUN_AFTER.match(text.raw[match.end() :])
    )


def _inside(word: str, form: str, language: str) -> bool:
    """Whether a calendar name sits inside a word as a name: anywhere in Arabic (it carries its
    prefixes), at the end of a German or Dutch compound or before a time of day (Karfreitag,
    Montagabend), not in Endmontage."""
    if language == "ar":
        return form in word
    at = word.find(form)
    return at >= 0 and word[at + len(form) :] in _COMPOUND_DAY_TAILS[language]


def check_calendar(english: Text, source: Text) -> list[Problem]:
    """Weekdays, months and yesterday/today/tomorrow of the English must be in the source."""
    problems = []
    source_days = _calendar_hits(source)
    for name in sorted(_calendar_hits(english) - source_days):
        is_month = name in {m.casefold() for m in _english_months()}
        if is_month and _numeric_date_month(source) == _english_months().index(name.capitalize()) + 1:
            continue
        problems.append(Problem("calendar", f"'{name.capitalize()}' is not in the source"))
    for table in ("relative_days", "holidays"):
        for day in _claimed(english, source, _facts()[table]):
            problems.append(Problem("calendar", f"'{day}' is not in the source"))
    # Last/this/next year as whole phrases both ways: "in den letzten Jahren" is not 'last year'.
    # Only what the table knows in the source's language; a bound dropped ("vor mehr als einem
    # Jahr" as "a year ago") changes the claim like a bound dropped from a figure.
    years = {k: v for k, v in _facts()["relative_years"].items() if source.language in v}
    if years:
        said, meant = _relative(english, years), _relative(source, years)
        for year in sorted(said - meant):
            problems.append(Problem("calendar", f"'{year}' is not in the source"))
        for year in sorted(meant - said):
            dropped = f"the source says '{year}', the English does not"
            problems.append(Problem("calendar", dropped, omission=not year.endswith(" a year ago")))
    # Last/next month and week: only what the English claims ("in recent months", "a week ago",
    # "month on month" say the same as the source in too many ways to require its words back).
    for table in ("relative_months", "relative_weeks"):
        relative = _facts()[table]
        if covered(relative, source.language):
            for when in sorted(_relative(english, relative) - _relative(source, relative)):
                problems.append(Problem("calendar", f"'{when}' is not in the source"))
    return problems + _swapped_ranges(english, source)


def _relative(text: Text, table: dict[str, dict[str, list[str]]]) -> set[str]:
    """Keys of a last/next year, month or week table a text says, as whole phrases: 'coming month'
    is not in "the coming months", 'last week' not in "last weekend" or "the last week of August"."""
    return {
        key for key, by_language in table.items() if any(_says(text, e) for e in by_language.get(text.language, []))
    }


# What makes a phrase part of a longer one that means something else: "hace un año y medio" is not
# "hace un año", "the year before last" not "the year before", "cette année-là" not "cette année".
_LONGER_PHRASE = (
    r"(?!\s+(?:y|e|et|and|und|en|i)\s+(?:medio|mezzo|meio|demi|a\s+half|ein\s+halb|half|pół))(?!\s+last\b)(?!-l[àa]\b)"
    r"(?!\s+(?:dernière|passée|précédente|pasado|anterior|scorso|passato|precedente|passado))"
)


_BOUNDED_AGO = r"(?<!\b(?:more than|less than|over|almost|nearly|about|around|roughly|under|close to) )"


def _says(text: Text, phrase: str) -> bool:
    """Whether a text says a phrase as a whole (a trailing '*': as the start of a word, for
    compounds and endings: "vorjahr*" in Vorjahresniveau, Finnish "viime vuon*")."""
    phrase, lower = phrase.casefold().strip(), text.lower.replace("’", "'")  # l’année dernière
    if text.language == "ar":
        return phrase in lower
    # Turkish keeps its case endings but not the plural (geçen ayın, not aylar); German a genitive s.
    head, tail = r"(?<!\p{L})", {"tr": r"(?!l[ae]r)", "de": r"s?(?!\p{L})"}.get(text.language, r"(?!\p{L})")
    if phrase.endswith("*"):
        phrase, tail = phrase[:-1], ""
    if text.language == ENGLISH and phrase.startswith("last "):
        head, tail = r"(?<!\bthe )(?<!\p{L})", r"(?!\p{L})(?!\s+of\b)"
    if text.language == ENGLISH and phrase.startswith("a ") and phrase.endswith(" ago"):
        head += _BOUNDED_AGO  # "more than a year ago" is not "a year ago" (but "higher than a year ago" is)
    tail += _LONGER_PHRASE
    return regex.search(head + regex.escape(phrase) + tail, lower) is not None


# Words joining two calendar names into a range ("von Samstag auf Sonntag", "de marzo a junio",
# "od poniedziałku do piątku", "Monday to Friday"), and what separates two names that are not one.
_RANGE_WORD = regex.compile(
    r"(?:^|[\s'’\d])(?:to|until|till|through|into|bis|auf|zum|tot|t/m|à|au|jusqu['’]à|jusqu['’]au|a|al|hasta"
    r"|fino a|até|ao|do|إلى|حتى|[-–])(?:\s|$)|['’]?(?:d[ae]n|t[ae]n)\s"
)
_NOT_A_RANGE = regex.compile(r"[.;]|\b(?:and|und|et|y|e|en|i|ve|oder|or|ou|o)\b")


@lru_cache(maxsize=1024)
def _ranges(text: Text) -> frozenset[tuple[str, str]]:
    """The ranges of weekdays or months a text writes, as (first, last) English names."""
    mentions = _calendar_mentions(text)
    pairs = set()
    for (_, end, first), (start, _, last) in itertools.pairwise(mentions):
        gap = text.raw[end:start].casefold()
        if first != last and len(gap) <= 30 and not _NOT_A_RANGE.search(gap) and _RANGE_WORD.search(gap):
            pairs.add((first, last))
    return frozenset(pairs)


def _swapped_ranges(english: Text, source: Text) -> list[Problem]:
    """A range the English gives the other way round from the source's own range ("von Samstag
    auf Sonntag" is not "from Sunday to Saturday"); names the source does not join are free."""
    problems = []
    for first, last in sorted(_ranges(english)):
        if (last, first) in _ranges(source) and (first, last) not in _ranges(source):
            why = f"'{first.capitalize()} to {last.capitalize()}' where the source has the range the other way round"
            problems.append(Problem("calendar", why))
    return problems


def _claimed(english: Text, source: Text, table: dict[str, dict[str, list[str]]]) -> list[str]:
    """Keys of a table the English names and the source does not (in its language's words or as
    the English has it: "Christmas Island"), among the keys the source's language has words for;
    a key inside a longer one named ('christmas' in 'christmas eve') is not counted twice."""
    said = {k for k in lexicon_hits(english, table) if source.language in table[k]}
    missing = {
        k for k in said - lexicon_hits(source, table) if not any(has_entry(source, e) for e in table[k][ENGLISH])
    }
    return sorted(k for k in missing if not any(k != longer and k in longer for longer in said))


@lru_cache(maxsize=1)
def _english_months() -> list[str]:
    months = Locale.parse(ENGLISH).months["format"]["wide"]
    return [str(months[i]) for i in range(1, 13)]


def _numeric_date_month(text: Text) -> int | None:
    match = regex.search(r"\b\d{1,2}[./](\d{1,2})[./](?:\d{2,4})?", text.raw)
    return int(match.group(1)) if match else None


def check_closed_classes(english: Text, source: Text) -> list[Problem]:
    """Colours, currencies and 'percentage points' the English names must be in the source."""
    problems = []
    facts = _facts()
    for kind, table, what in (("unit", facts["colors"], "colour"), ("unit", facts["currencies"], "currency")):
        if not covered(table, source.language):
            continue
        claimed, present = lexicon_hits(english, table), lexicon_hits(source, table)
        for key in sorted(claimed - present):
            problems.append(Problem(kind, f"the {what} '{key}' is not in the source"))
    for unit, forms in facts["units"].items():
        if any(has_entry(english, e) for e in forms[ENGLISH]) and not any(has_entry(source, e) for e in forms["*"]):
            problems.append(Problem("unit", f"the unit '{unit}' is not in the source"))
    points = facts["percentage_point"]
    claims_points = source.language in points and any(has_entry(english, e) for e in points[ENGLISH])
    if claims_points and not any(has_entry(source, e) for e in points[source.language]):
        problems.append(Problem("unit", "'percentage points' is not in the source (percent is not points)"))
    return problems


# Direction and negation --------------------------------------------------------------------------


def check_direction(english: Text, source: Text) -> list[Problem]:
    """Rise/fall, hire/fire, open/close, win/lose and to/by must not turn into their opposites."""
    facts = _facts()
    table = facts["directions"]
    problems = []
    if covered(table, source.language):
        said, meant = lexicon_hits(english, table), lexicon_hits(source, table)
        for a, b in facts["opposites"]:
            for claim, opposite in ((a, b), (b, a)):
                if claim in said and opposite in meant and claim not in meant:
                    problems.append(Problem("direction", f"says '{claim}' where the source says '{opposite}'"))
    english_marks, source_marks = _marked_figures(english), _marked_figures(source)
    for value, mark in english_marks.items():
        other = next((m for v, m in source_marks.items() if _close(value, [v])), None)
        if other and other != mark:
            problems.append(Problem("direction", f"'{mark}' a figure the source gives with '{other}'"))
    return problems


def _marked_figures(text: Text) -> dict[float, str]:
    """Figures preceded by 'to' or 'by' (or their equivalents), value -> 'to' | 'by'."""
    marks: dict[float, str] = {}
    words = _TO_BY.get(text.language)
    for match in _NUMBER.finditer(text.raw):
        before = text.around(match.start() - 12, match.start()).split()
        after = text.around(match.end(), match.end() + 30).split()
        mark = None
        if words and before:
            previous = before[-1]
            mark = next((k for k, ws in words.items() if previous in ws), None)
        elif text.language == "fi" and after:
            mark = "to" if _FI_TO.match(after[0]) else "by" if _FI_BY.match(after[0]) else None
        if mark:
            for value in _interpretations(match.group(0), text.language):
                if not _is_year(match.group(0), value):  # "until 2030" is a date, not a level
                    marks[value] = mark
    return marks


# Turkish puts the bound after the figure, with a case ending on the figure or the word after it:
# "100'den fazla", "100 kişiden fazla" (ablative + fazla: more than; + az: less than), "100'ü aşkın"
# (accusative + aşkın: more than), "60'ın altında", "100 kişinin üzerinde" (genitive + altında /
# üzerinde: under / over; without the genitive, "enkaz altında" is "under the rubble").
_TR_BOUND_AFTER = regex.compile(
    r"^(?:['’]\p{L}*|\s+\p{L}+)?\s+(?:(?<=[dt][ae]n\s)(?P<ablative>fazla|az)"
    r"|(?<=[ıiuü]n\s)(?P<genitive>üzerinde|altında)|(?<=(?:['’]|\p{L}[yn])[ıiuü]\s)(?P<accusative>aşkın))\b"
)
_TR_BOUNDS = {"fazla": "over", "aşkın": "over", "üzerinde": "over", "az": "under", "altında": "under"}
# A currency written before the figure, between the bound and it: "más de US$ 300", "mais de R$ 2".
_CURRENCY_BEFORE = regex.compile(r"(?:\b(?:[a-z]{1,3}\$|chf|eur|usd|gbp|pln|zł|tl|rs\.?)|[$€£¥₺(])\s*$")
# English words before a plain figure that read a source's prepositional bound as a preposition:
# "a contract for 35" (Vertrag über 35), "of 1,500 respondents" (unter 1.500 Befragten).
_ENGLISH_PREPOSITIONS = frozenset(["for", "of", "among", "about", "on", "worth", "totalling", "totaling", "with"])
_ENGLISH_ARTICLES = frozenset(["the", "a", "an"])
_ENGLISH_SPAN = regex.compile(r"^\s*(?:\w+\s+)?(?:second|minute|hour|day|night|week|month|year|decade|centur)")


class Bound(NamedTuple):
    """What the words around a figure say of it: 'over' (more than), 'under' (less than) or None.

    `loose`: the words also read as something else, so they may stand for a plain figure too:
    'free' (English "over 3 days", "up to"; verbs such as superó, exceeds; German knapp) or
    'preposition' (German "Vertrag über 35 Jets", "unter 1.500 Befragten": plain only where the
    English reads the figure after a preposition as well). `plain_sense`: for a plain English
    figure, whether it reads so ("for 35", "of 1,500", "3 days"). `approximate`: the figure is a
    round-number noun ("une centaine": about a hundred), which no loose "over" may stand for.
    """

    kind: str | None
    phrase: str = ""
    after: bool = False
    loose: str = ""
    plain_sense: bool = False
    approximate: bool = False

    def shown(self, figure: str) -> str:
        """The figure with its bound words, as the text has them ("plus de 200,000")."""
        if not self.phrase:
            return figure
        if self.after:
            return figure + ("" if self.phrase[0] in "'’" else " ") + self.phrase
        return f"{self.phrase} {figure}"


def _agree(english: Bound, source: Bound) -> bool:
    """Whether the English bound on a figure can say what the source's does."""
    if english.kind == source.kind:
        return True
    if english.kind and source.kind:
        return False  # more than / less than
    if english.kind:  # "over 5 billion" may be a plain preposition, "over 100" for "uma centena" not
        return english.loose != "" and not (source.approximate and english.kind == "over")
    return source.loose == "free" or (source.loose == "preposition" and english.plain_sense)


@lru_cache(maxsize=64)
def _bound_patterns(language: str) -> tuple[regex.Pattern[str] | None, regex.Pattern[str] | None, dict[str, str]]:
    """A language's bound phrases before and after a figure, as patterns, and phrase -> kind."""
    facts = _facts()
    kind_of: dict[str, str] = {}
    patterns: list[regex.Pattern[str] | None] = []
    after_noun = {p: k for k, by_language in facts["bounds_after_noun"].items() for p in by_language.get(language, [])}
    for table in ("bounds", "bounds_after"):
        phrases = {p: kind for kind, by_language in facts[table].items() for p in by_language.get(language, [])}
        if table == "bounds_after":
            phrases |= after_noun
        kind_of |= phrases
        if not phrases:
            patterns.append(None)
            continue
        alternatives = "|".join(regex.escape(p) for p in sorted(phrases, key=len, reverse=True))
        if table == "bounds":
            fillers = "|".join(
                regex.escape(f) + ("" if f.endswith("'") else r"\b") for f in facts["bound_fillers"].get(language, [])
            )
            filler = rf"(?:(?:(?<=['’])|\s+)(?:{fillers}))?" if fillers else ""  # "plus d'une"
            patterns.append(regex.compile(rf"(?<!\p{{L}})(?P<phrase>{alternatives}){filler}\s*$"))
        else:
            # "dix morts au moins": one word may come between for the 'at least' put after the noun.
            noun = "|".join(regex.escape(p) for p in sorted(after_noun, key=len, reverse=True))
            skip = rf"(?:\p{{L}}+\s+(?=(?:{noun})(?!\p{{L}})))?" if noun else ""
            patterns.append(regex.compile(rf"^\s*{skip}(?P<phrase>{alternatives})(?!\p{{L}})"))
    return patterns[0], patterns[1], kind_of


def _looseness(language: str, phrase: str) -> str:
    loose = _facts()["bounds_loose"]
    if phrase in loose["free"].get(language, []):
        return "free"
    return "preposition" if phrase in loose["preposition"].get(language, []) else ""


def _bound_of(text: Text, start: int, end: int) -> Bound:
    """The bound the words around the figure at text.raw[start:end] put on it."""
    before_pattern, after_pattern, kind_of = _bound_patterns(text.language)
    before = _CURRENCY_BEFORE.sub("", text.around(start - 40, start)).rstrip().replace("’", "'")  # plus d’une
    after = text.around(end, end + 40).replace("’", "'")
    if before_pattern and (found := before_pattern.search(before)):
        phrase = found.group("phrase")
        return Bound(kind_of[phrase], found.group(0).strip(), loose=_looseness(text.language, phrase))
    if after_pattern and (found := after_pattern.search(after)):
        phrase = found.group("phrase")
        return Bound(kind_of[phrase], phrase, after=True, loose=_looseness(text.language, phrase))
    if text.language == "tr" and (suffix := _TR_BOUND_AFTER.match(after)):
        word = suffix.group("ablative") or suffix.group("genitive") or suffix.group("accusative")
        return Bound(_TR_BOUNDS[word], suffix.group(0).strip(), after=True)
    if text.language != ENGLISH:
        return Bound(None)
    words = [w for w in before.split() if w not in _ENGLISH_ARTICLES][-1:]
    glued = before.endswith("-")  # "Under-18s"
    return Bound(
        None, plain_sense=glued or bool(words and words[0] in _ENGLISH_PREPOSITIONS) or bool(_ENGLISH_SPAN.match(after))
    )


@lru_cache(maxsize=1024)
def _bounded_figures(text: Text) -> tuple[tuple[float, Bound], ...]:
    """Each figure's values with the bound its words put on it (years left out: "über 2020",
    unless a bound says it is a count: "más de 2000 despidos")."""
    figures = []
    homographs = _facts()["number_homographs"].get(text.language, [])
    rounded = _round_figures(text)
    for figure in _figures(text):
        bound = _bound_of(text, figure.start, figure.end)._replace(approximate=figure in rounded)
        if not bound.kind and figure.raw.casefold() in homographs:
            continue  # "un immeuble neuf" says nothing of a figure 9
        scale = _scale_after(text, figure.end)  # "ponad 2 tysiące" bounds 2,000
        for value in figure.values:
            if bound.kind or not _is_year(figure.raw, value):
                figures += [(value, bound), (value * scale, bound)] if scale != 1.0 else [(value, bound)]
    return tuple(figures)


class Figure(NamedTuple):
    """A figure as a text writes it, in digits or in words ("zehn"), where it is and what it may mean."""

    raw: str
    start: int
    end: int
    values: frozenset[float]


@lru_cache(maxsize=1024)
def _figures(text: Text) -> tuple[Figure, ...]:
    """A text's figures in digits and its number words from two up ("bis zu zehn Jahre")."""
    found = []
    for m in _NUMBER.finditer(text.raw):
        values, _ = _with_half(text, m.end(), _interpretations(m.group(0), text.language))
        found.append(Figure(m.group(0), m.start(), m.end(), frozenset(values)))
    words = _number_words_of(text.language)
    pattern = _number_word_pattern(text.language)
    if pattern is not None:
        for match in pattern.finditer(text.raw):
            values, _ = _with_half(text, match.end(), {float(words[match.group(0).casefold()])})
            found.append(Figure(match.group(0), match.start(), match.end(), frozenset(values)))
    if text.language == ENGLISH:  # "more than a decade" puts a bound on ten ("une dizaine d'années")
        found += [Figure(m.group(0), m.start(), m.end(), frozenset([10.0])) for m in _A_DECADE.finditer(text.raw)]
    return tuple(sorted(found + _round_figures(text), key=lambda f: f.start))


# The singular articles that make a round-number noun "about N" ("une vingtaine de", "un millier
# de", "più di una decina di"); the plural ("des centaines de": hundreds of) is no figure a bound
# could be put on, and nor is a noun before a figure ("una cuarentena de dos semanas": a quarantine).
_ROUND_ARTICLE = {"fr": "une|un", "es": "una|un", "it": "una|un", "pt": "uma|um"}


def _round_figures(text: Text) -> list[Figure]:
    """Round-number nouns after a singular article as figures ("una decina di": about ten), so
    that a bound the English puts on them must be the source's ("more than ten" is not)."""
    pattern = _round_pattern(text.language)
    if pattern is None:
        return []
    nouns = _facts()["approximate_numbers"][text.language]
    return [
        Figure(m.group("noun"), m.start("noun"), m.end("noun"), frozenset([float(nouns[m.group("stem").casefold()])]))
        for m in pattern.finditer(text.raw)
    ]


@lru_cache(maxsize=64)
def _round_pattern(language: str) -> regex.Pattern[str] | None:
    article = _ROUND_ARTICLE.get(language)
    if article is None:
        return None
    nouns = _facts()["approximate_numbers"][language]
    alternatives = "|".join(regex.escape(n) for n in sorted(nouns, key=len, reverse=True))
    figure = "|".join(regex.escape(w) for w in _number_words_of(language))
    return regex.compile(
        rf"(?<!\p{{L}})(?:{article})\s+(?P<noun>(?P<stem>{alternatives})\p{{L}}*){_APPROXIMATE_OF[language]}"
        rf"(?!\s*(?:\d|(?:{figure})(?!\p{{L}})))",
        regex.IGNORECASE,
    )


@lru_cache(maxsize=64)
def _number_word_pattern(language: str) -> regex.Pattern[str] | None:
    plural = [w for w, v in _number_words_of(language).items() if v >= 2]  # "one", "ein", "un" are mostly articles
    if not plural:
        return None
    alternatives = "|".join(regex.escape(w) for w in sorted(plural, key=len, reverse=True))
    return regex.compile(rf"(?<!\p{{L}})(?:{alternatives})(?!\p{{L}})", regex.IGNORECASE)


def check_bounds(english: Text, source: Text) -> list[Problem]:
    """'More than 200' must not become '200' or 'less than 200', nor a plain 200 'more than 200'."""
    if not covered(_facts()["bounds"], source.language):
        return []
    source_figures = _bounded_figures(source)
    problems = []
    for value, bound in dict.fromkeys(_bounded_figures(english)):
        given = [b for v, b in source_figures if _close(value, [v])]
        if not given or any(_agree(bound, b) for b in given):
            continue
        shown = _format_figure(value)
        source_says = " or ".join(dict.fromkeys(f"'{b.shown(shown)}'" for b in given if b.kind)) or f"just {shown}"
        if bound.kind is None:
            why = f"the source says {source_says}, the English just {shown}"
            problems.append(Problem("number", why, omission=True))
        else:
            problems.append(Problem("number", f"'{bound.shown(shown)}' where the source says {source_says}"))
    return problems


def _time_unit_after(text: Text, end: int) -> str | None:
    """The time unit the word right after a figure names ("48 Stunden", "34-Jährigen", "48h"), if
    any; past a "½" ("2½ Jahre"), and in English past "and a half" ("and one-half") or a word such
    as "more" ("two more days")."""
    half = _HALF.pattern if text.language == ENGLISH else r"\s*½"
    skip = r"(?:(?:more|further|consecutive|straight|full|whole|long|additional|extra)\s+)?"
    english = skip if text.language == ENGLISH else ""
    match = regex.match(rf"(?:{half})?-?\s*{english}(\p{{L}}+)", text.around(end, end + 36))
    if match is None:
        return None
    word = match.group(1)
    for unit, by_language in _facts()["time_units"].items():
        for entry in by_language.get(text.language, []):
            if (word == entry.strip()) if entry.endswith(" ") else word.startswith(entry):
                return str(unit)
    return None


_HALF_COMPOUNDS = ("einhalb", "enhalve", "ënhalve", "enhalf", "ënhalf")


@lru_cache(maxsize=1024)
def _time_spans(text: Text) -> tuple[tuple[Figure, str | None], ...]:
    """Each figure with the time unit after it; also "un an", "einem Jahr", "a month" (one of the
    unit) and German or Dutch compounds of a number word and a unit ("zweijährig": two, years), or
    of a number word and a half before one ("zweieinhalb Jahre": two, years)."""
    spans = [(figure, _time_unit_after(text, figure.end)) for figure in _figures(text)]
    ones = _facts()["one_unit"].get(text.language, [])
    if ones:
        pattern = rf"(?<!\p{{L}})(?:{'|'.join(regex.escape(o) for o in ones)})(?!\p{{L}})"
        for match in regex.finditer(pattern, text.raw, flags=regex.IGNORECASE):
            unit = _time_unit_after(text, match.end())
            if unit:
                one, _ = _with_half(text, match.end(), {1.0})  # "un an et demi", "one and a half": 1.5
                worded = _number_words(text.language).get(match.group(0).casefold())
                if worded is not None and worded != 1.0:
                    one = {1.0, worded}  # eineinhalb, anderthalb, anderhalf (facts' number words): 1.5
                spans.append((Figure(match.group(0), match.start(), match.end(), frozenset(one)), unit))
    compounds = _facts()["unit_compounds"].get(text.language, {})
    for match, rest, value in _number_compounds(text):
        half = next((h for h in _HALF_COMPOUNDS if rest.startswith(h)), "")  # zweieinhalb Jahre, tweeënhalf jaar
        tail = rest[len(half) :]
        unit = next((u for t, u in compounds.items() if tail.startswith(t)), None)
        if half and not tail:
            unit = _time_unit_after(text, match.end())
        if unit:
            word = match.group(0).casefold()
            values = frozenset([value, value + 0.5] if half else [value])  # "two and a half", 2.5
            spans.append((Figure(word[: len(word) - len(tail)], match.start(), match.end(), values), unit))
    return tuple(spans)


def check_time_units(english: Text, source: Text) -> list[Problem]:
    """'48 Stunden' must not become '48 days': where the source puts a time unit after a figure,
    the English must put the same one after it (a figure the source gives no unit is free)."""
    if not covered(_facts()["time_units"], source.language):
        return []
    problems = []
    for figure, unit in _time_spans(english):
        if unit is None:
            continue
        given = [(f, u) for f, u in _time_spans(source) if u and any(_close(v, f.values) for v in figure.values)]
        if not given or any(u == unit for _, u in given):
            continue  # the same figure without a unit elsewhere ("3 Menschen") excuses nothing
        f, u = given[0]
        problems.append(Problem("unit", f"the source gives '{f.raw}' in {u}s, the English in {unit}s"))
    return problems


def _format_figure(value: float) -> str:
    """A value written the English way, without a needless '.0' (200000.0 -> '200,000')."""
    return f"{value:,.0f}" if value.is_integer() else f"{value:,}"


def _is_year(raw: str, value: float) -> bool:
    """Whether a figure is written as a year (2030; "2 000" or "2.000" is a count)."""
    return bool(regex.fullmatch(r"\d{4}", raw.rstrip(".,"))) and 1900 <= value <= 2100


def check_false_friends(english: Text, source: Text) -> list[Problem]:
    """A look-alike rendered for a source word that means something else (reporté -> 'reported').

    Passed when the English also says what the source word means ("postponed"), or when the
    source has a word the look-alike would translate ('unless').
    """
    problems = []
    for friend in _facts()["false_friends"]:
        if friend["language"] != source.language:
            continue
        said = next((e for e in friend["english"] if has_entry(english, e)), None)
        meant = next((e for e in friend["source"] if has_entry(source, e)), None)
        if not said or not meant or any(has_entry(source, e) for e in friend["unless"]):
            continue
        if any(_says_plainly(english, m) for m in friend["means"].split(", ") if m not in _VAGUE_MEANINGS):
            continue
        why = f"'{_occurrence(source, meant)}' in the source means '{friend['means']}', not '{said.strip()}'"
        problems.append(Problem("false_friend", why + " (a false friend)"))
    return problems


# Meanings too common or too polysemous to show that the English got a false friend right ("fire").
_VAGUE_MEANINGS = frozenset(
    [
        *("fire", "so", "day", "date", "law", "farm", "hot", "warm", "get", "head", "boss", "bail", "seek"),
        *("custom", "event", "register", "council", "leader", "commission", "current", "possible", "possibly"),
        *("reading", "school"),
    ]
)


def _says_plainly(english: Text, meaning: str) -> bool:
    """Whether the English has a meaning in lower case, as written or inflected (postponed)."""
    return regex.search(rf"(?<!\p{{L}}){regex.escape(meaning)}\p{{L}}{{0,3}}(?!\p{{L}})", english.raw) is not None


def _occurrence(text: Text, entry: str) -> str:
    """The word of a text a matched lexicon entry stands for ('licenzi' -> 'licenziato')."""
    if entry.endswith(" ") or " " in entry.strip():
        return entry.strip()
    return next((w for w in text.words if w.startswith(entry.casefold())), entry)


def check_negation(english: Text, source: Text) -> list[Problem]:
    """A negation must not appear in the English from nowhere, nor vanish from it."""
    table = _facts()["negation"]
    if source.language not in table:
        return []
    problems = _ruled_out(english, source)
    english, source = _without_negated_bounds(english), _without_negated_bounds(source)
    said = any(has_entry_word(english, e) for e in table[ENGLISH]) or "n't" in english.lower
    meant = any(has_entry_word(source, e) for e in table[source.language])
    idiom = any(  # "has yet to"; not "without" where the source says "ohne": that is its own word
        regex.search(i["english"], english.lower) and not regex.search(i.get("unless", "(?!)"), source.lower)
        for i in _facts()["negation_idioms"]
    )
    if meant and not said and not idiom:
        problems.append(Problem("negation", "the source says 'not', the English does not", omission=True))
    if said and not meant:
        problems.append(Problem("negation", "the English says 'not', the source does not"))
    return problems


# "Excluding" is "not counting", not "ruling out".
_ENGLISH_RULES_OUT = regex.compile(r"\b(?:rul(?:e|es|ed|ing)\s+(?:\w+\s+){0,3}?out|exclud(?:e|es|ed))\b")


def _ruled_out(english: Text, source: Text) -> list[Problem]:
    """'Schließt einen Anschlag nicht aus' must not become 'rules out an attack' (the negation
    test alone misses it when another 'not' remains in the sentence)."""
    patterns = _facts()["not_ruled_out"]
    if not any(regex.search(p, source.lower) for p in patterns.get(source.language, [])):
        return []
    if not _ENGLISH_RULES_OUT.search(english.lower) or any(regex.search(p, english.lower) for p in patterns[ENGLISH]):
        return []
    return [Problem("negation", "the source does not rule it out, the English says it is ruled out")]


def _without_negated_bounds(text: Text) -> Text:
    """The text without bounds worded as negations before a figure ("no more than 50", "nicht
    weniger als 300"): they bound the figure and say nothing is not so."""
    found = _negated_bounds(text.language)
    if found is None or not any(p in text.lower for p in found[0]):
        return text
    return Text.of(found[1].sub(" ", text.lower), text.language)


@lru_cache(maxsize=64)
def _negated_bounds(language: str) -> tuple[tuple[str, ...], regex.Pattern[str]] | None:
    """A language's bound phrases worded as negations, and a pattern finding them before a figure."""
    negations = set(_facts()["negation"].get(language, []))
    phrases = tuple(
        p
        for by_language in _facts()["bounds"].values()
        for p in by_language.get(language, [])
        if negations & set(p.split())
    )
    if not phrases:
        return None
    alternatives = "|".join(regex.escape(p) for p in sorted(phrases, key=len, reverse=True))
    # Only before a figure: "nicht mehr als Kandidat" is "no longer as a candidate", a negation.
    figure = r"(?=\s*(?:\p{L}{1,3}\s+)?(?:[$€£]|[a-z]{1,3}\$)?\s*\d)"
    return phrases, regex.compile(rf"(?<!\p{{L}})(?:{alternatives}){figure}")


def has_entry_word(text: Text, word: str) -> bool:
    """Whether a whole word occurs (Arabic: also with a clitic prefix)."""
    return word in text.words or (text.language == "ar" and any(w.endswith(word) for w in text.words))


# Names -----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _common_english() -> Any:
    """Whether a lower-case word is a common English word: one token in a large English vocabulary."""
    counter = TiktokenCounter()
    return lambda word: word.isascii() and counter.count(" " + word) == 1


@lru_cache(maxsize=64)
def _place_names(language: str) -> dict[str, tuple[str, ...]]:
    """English names of countries, languages (also the adjective: German), cities, regions, rivers
    and seas -> local names."""
    locales = _locales(language)
    if locales is None:
        return {}
    locale, english = locales
    names: dict[str, set[str]] = {}
    for attribute in ("territories", "languages"):
        local = getattr(locale, attribute)
        for code, name in getattr(english, attribute).items():
            if code in local and len(code) <= 3 and len(str(local[code])) >= 3:
                names.setdefault(str(name).casefold(), set()).add(str(local[code]).casefold())
    for zone in _city_zones():
        city = get_timezone_location(zone, locale=english, return_city=True)
        local_city = get_timezone_location(zone, locale=locale, return_city=True)
        names.setdefault(str(city).casefold(), set()).add(str(local_city).casefold())
    for table in ("cities", "regions"):
        for place, forms in _facts()[table].items():
            names.setdefault(place, set()).update(forms)
    return {k: tuple(v) for k, v in names.items()}


@lru_cache(maxsize=1)
def _city_zones() -> tuple[str, ...]:
    """Time zones named after a city (Europe/Brussels): CLDR names those cities in every language."""
    skip = ("Etc/", "SystemV/", "US/", "posix/", "right/", "Canada/", "Brazil/", "Mexico/", "Chile/")
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(skip)))


def _fold(word: str) -> str:
    return anyascii(word).casefold().replace("'", "").replace("’", "")


@lru_cache(maxsize=65536)
def _skeleton(word: str) -> str:
    """Consonants of a transliterated word: 'Netanyahu' and نتنياهو both give 'ntnh'."""
    folded = regex.sub(r"[^a-z]", "", _fold(word))
    folded = folded.replace("ph", "f").replace("q", "k").replace("c", "k").replace("v", "w")
    consonants = regex.sub(r"[aeiouyw]", "", folded)
    return regex.sub(r"(.)\1+", r"\1", consonants)


@lru_cache(maxsize=256)
def _source_forms(source: Text) -> tuple[frozenset[str], frozenset[str]]:
    """The source's words folded to ASCII, and their consonant skeletons."""
    # Dotted acronyms (U.S., U.K.) are one word, without their dots.
    words = {m.replace(".", "").casefold() for m in _DOTTED_ACRONYM.findall(source.raw)}
    for word in source.words:
        if source.language == "ar":
            word = next(
                (word[len(p) :] for p in _ARABIC_PREFIXES if word.startswith(p) and len(word) - len(p) >= 3), word
            )
        words.add(_fold(word))
        if "-" in word:  # kabinet-Schoof, Merz-Regierung
            words.update(_fold(part) for part in word.split("-") if len(part) >= 3)
    return frozenset(words), frozenset(_skeleton(w) for w in words if len(_skeleton(w)) >= 2)


def _name_found(name: str, source: Text, forms: tuple[frozenset[str], frozenset[str]]) -> bool:
    folded = _fold(name.rstrip("'’s") if name.endswith(("'s", "’s")) else name).replace(".", "")
    words, skeletons = forms
    if not folded:
        return True
    size = max(3, min(len(folded) - 1, 5)) if len(folded) > 3 else len(folded)
    for spelling in dict.fromkeys([folded, folded.replace("x", "ks")]):  # Alexander: Aleksandr
        if any(
            w.startswith(spelling[:size]) and abs(len(w) - len(spelling)) <= max(4, len(spelling) // 2) for w in words
        ):
            return True
    organisation = _facts()["organisations"].get(name.casefold(), {}).get(source.language)
    if organisation and any(has_entry(source, entry) for entry in organisation):
        return True
    places = _place_names(source.language)
    for place in (name.casefold(), folded, *_demonym_places(name.casefold())):
        local = places.get(place)
        if local and any(any(w.startswith(_fold(_stem(form))) for w in words) for form in local):
            return True
    if not _mostly_latin(source.raw):
        skeleton = _skeleton(name)
        return len(skeleton) < 3 or any(
            s.startswith(skeleton[:4]) or skeleton.startswith(s) for s in skeletons if len(s) >= 3
        )
    return False


# English demonyms and the country names they come from: Syrian -> Syria, Iranian -> Iran,
# Ukrainian -> Ukraine, Israeli -> Israel, Lebanese -> Lebanon (ending cut, then added).
_DEMONYM_ENDINGS = (("n", ""), ("ian", ""), ("ian", "e"), ("ian", "a"), ("i", ""), ("ese", ""), ("ese", "on"))


def _demonym_places(word: str) -> list[str]:
    """Country names an English demonym may come from (candidates; the place table decides)."""
    return [word[: -len(cut)] + add for cut, add in _DEMONYM_ENDINGS if word.endswith(cut) and len(word) > len(cut) + 2]


@lru_cache(maxsize=1)
def _currency_words() -> frozenset[str]:
    """English currency words (Euro, Riyals), which a model may capitalise like names."""
    return frozenset(e.strip() for forms in _facts()["currencies"].values() for e in forms.get(ENGLISH, []))


def _mostly_latin(text: str) -> bool:
    letters = len(_LETTER.findall(text))
    return letters == 0 or len(_LATIN_LETTER.findall(text)) >= 0.5 * letters


def english_names(english: Text) -> list[str]:
    """Capitalised words of an English sentence that may be names (not calendar or common words)."""
    calendar = set(_calendar(ENGLISH))
    found = []
    for match in _CAPITALISED.finditer(english.raw):
        word = match.group(0).strip(".'’-")
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        lower = word.casefold()
        if len(word) < 2 or lower in calendar or lower in _ENGLISH_COMMON_CAPS or lower in _currency_words():
            continue  # currencies have their own check
        if lower in _holiday_words():
            continue  # the calendar check compares holidays
        starts = bool(_ENGLISH_SENTENCE_START.search(english.raw[: match.start()]))
        known_place = lower in _place_names(ENGLISH)
        if not known_place and _common_english()(lower) and (starts or not word.isupper()):
            continue
        found.append(word)
    return found


@lru_cache(maxsize=1)
def _holiday_words() -> frozenset[str]:
    """Words of the English holiday names (christmas, easter, eve, ...)."""
    words = {w for forms in _facts()["holidays"].values() for e in forms[ENGLISH] for w in _WORD.findall(e)}
    return frozenset(words - {"new", "year's", "year’s", "years"})


def check_names(english: Text, source: Text) -> list[Problem]:
    """Every name in the English must be in the source, in some spelling; none left untranslated."""
    if _SCRIPTS_WITHOUT_NAMES.search(source.raw):
        return []
    forms = _source_forms(source)
    problems = []
    for name in dict.fromkeys(english_names(english)):
        parts = [p for p in name.split("-") if len(p) >= 3]  # North Rhine-Westphalia: Nordrhein-Westfalen
        found = _name_found(name, source, forms) or (
            len(parts) > 1 and all(_name_found(p, source, forms) for p in parts)
        )
        if not found:
            problems.append(Problem("name", f"the name '{name}' is not in the source"))
    return problems


@lru_cache(maxsize=1024)
def _capitalised(text: Text) -> frozenset[str]:
    """The words a text writes with a capital (case-folded, suffixes after an apostrophe cut)."""
    return frozenset(regex.split(r"['’]", w)[0].casefold().strip(".-") for w in _CAPITALISED.findall(text.raw))


def _common_noun(word: str, language: str) -> bool:
    """Whether a word the source capitalises reads as a common noun or a title, not a name:
    German capitalises every noun (Behörde, Bürgermeisterin), Turkish and Polish capitalise
    institutions (Sağlık Bakanlığı, Sąd Najwyższy). From facts.json "capitalised_nouns"."""
    nouns = _facts()["capitalised_nouns"].get(language)
    if not nouns or "-" in word:
        return False
    if any(word.startswith(w) for w in nouns["words"]) or regex.search(nouns.get("endings", "(?!)"), word):
        return True
    return len(word) > int(nouns.get("max_name_letters", len(word)))


def check_untranslated(english: Text, source: Text) -> list[Problem]:
    """Source-language words copied into the English (ruhsatsız, Suriye for Syria)."""
    if source.language == ENGLISH:
        return []
    problems = []
    local_to_english = {
        local: english_name for english_name, locals_ in _place_names(source.language).items() for local in locals_
    }
    names = {w for w in _capitalised(english) & _capitalised(source) if not _common_noun(w, source.language)}
    for word in dict.fromkeys(english.words):
        foreign = _NON_ENGLISH_LETTER.search(word) and not word[0].isdigit() and word not in names
        if word in source.words and foreign:
            problems.append(Problem("untranslated", f"'{word}' is left untranslated"))
        elif word in local_to_english and word not in _place_names(ENGLISH) and word in source.words:
            if _common_english()(word) and word not in _capitalised(english):
                continue  # French "vote" is also Votic: a lower-case English word is not a name
            if _club(word, source):
                continue  # "ante el Sevilla": the club keeps its name in English
            english_name = local_to_english[word]
            if _fold(english_name) != _fold(word) and english_name not in english.lower:
                problems.append(Problem("untranslated", f"'{word}' is left untranslated ({english_name.title()})"))
        elif word in source.words and _copied_common_word(word, english, source):
            problems.append(Problem("untranslated", f"'{word}' is left untranslated"))
    return problems


def _club(word: str, source: Text) -> bool:
    """Whether the source names a club after its city ("el Sevilla", "1. FC Köln", "Napoli calcio")
    every time it names the city: "El Sevilla ganó; el Rey estuvo en Sevilla" also names the city."""
    clubs = _facts()["clubs"]
    before = "|".join(regex.escape(w) for w in clubs["before"])
    after = "|".join(regex.escape(w) for w in clubs["after"])
    name = regex.escape(word)
    pattern = rf"(?<!\p{{L}})(?:(?:{before})(?:\s+|(?<=['’])){name}|{name}\s+(?:{after}))(?!\p{{L}})"
    as_club = len(regex.findall(pattern, source.lower))
    return as_club > 0 and as_club >= len(regex.findall(rf"(?<!\p{{L}}){name}(?!\p{{L}})", source.lower))


# English word frequency (Zipf, wordfreq's large list) below which a copied word is not English:
# loanwords news English uses run above it (gendarmerie 2.4, scudetto 1.85, banlieues 1.52,
# chavismo 1.39), untranslated words below it (portada 1.09, gastronomique 1.11, canicule 0).
LOANWORD_ZIPF = 1.25


def _copied_common_word(word: str, english: Text, source: Text) -> bool:
    """A common word of the source's language copied into the English ("the canicule", and
    "Canicule hits ..." where only the sentence start capitalises it): frequent in the source's
    language, almost never seen in English. A capital the English gives it inside a sentence reads
    as a name, and so does one at its start where the source capitalises the word inside one."""
    if len(word) < 5 or not word.isalpha() or _common_english()(word):
        return False
    if word in _capitalised_within(english) or (word in _capitalised(english) and word in _capitalised_within(source)):
        return False
    if regex.search(rf"[\"“‘']{regex.escape(word)}[\"”’']", english.lower):
        return False  # a name quoted on its own ('"Reconquête" won 5%'), not a quoted sentence
    return known(word, source.language) and english_zipf(word) < LOANWORD_ZIPF


@lru_cache(maxsize=1024)
def _capitalised_within(text: Text) -> frozenset[str]:
    """The words a text capitalises other than at the start of a sentence (case-folded)."""
    gaps = _ENGLISH_SENTENCE_GAP if text.language == ENGLISH else _SENTENCE_GAP
    starts = {0} | {gap.end() for gap in gaps.finditer(text.raw)}
    return frozenset(
        regex.split(r"['’]", match.group(0))[0].casefold().strip(".-")
        for match in _CAPITALISED.finditer(text.raw)
        if match.start() not in starts
    )


def check_commentary(english: Text) -> list[Problem]:
    """Talk about the text instead of the news ("The article discusses ...")."""
    for pattern in _facts()["commentary"]:
        if regex.search(pattern, english.lower):
            return [Problem("commentary", "it comments on the text instead of stating the news")]
    return []


# A decoding loop says the same words again back to back: a run of words repeated three times in a
# row, or a run of four or more (a phrase, a clause) twice; none of 85 good translations read did.
# Parallel phrasing ("floods in the north, landslides in the north") is not back to back; a chant
# the source repeats ("merci, merci, merci") is not a loop of the model's.
LOOP_REPEATS, LOOP_LONG_RUN, LOOP_MAX_RUN = 3, 4, 30


def _plain_words(text: Text) -> list[str]:
    return [w.strip("'’") for w in _WORD.findall(text.lower)]


def _repeats(words: list[str], size: int) -> tuple[int, int]:
    """The most times a run of `size` words is said back to back, and where: one pass."""
    best, where, streak = 1, 0, 0
    for i in range(len(words) - size):
        streak = streak + 1 if words[i] == words[i + size] else 0
        repeats = 1 + streak // size
        if repeats > best:
            best, where = repeats, i - streak + 1
    return best, where


def _loop(text: Text) -> tuple[int, str]:
    """How often the English says a run of words in a row when that looks like a loop, and the
    run; (1, '') when nothing does."""
    words = _plain_words(text)
    best, best_run = 1, ""
    for size in range(2, min(LOOP_MAX_RUN, len(words) // 2) + 1):
        repeats, where = _repeats(words, size)
        looping = repeats >= LOOP_REPEATS or (repeats >= 2 and size >= LOOP_LONG_RUN)
        if looping and repeats * size > best * len(best_run.split()):
            best, best_run = repeats, " ".join(words[where : where + size])
    return best, best_run


@lru_cache(maxsize=256)
def _most_repeats(text: Text) -> int:
    """The most times a source says any run of words back to back (a chant, a quote said twice)."""
    words = _plain_words(text)
    return max((_repeats(words, size)[0] for size in range(1, min(LOOP_MAX_RUN, len(words) // 2) + 1)), default=1)


def check_repetition(english: Text, source: Text) -> list[Problem]:
    """A model caught in a loop: the same words again and again, back to back (not so in the source)."""
    repeats, run = _loop(english)
    if repeats > 1 and _most_repeats(source) < repeats:
        shown = run if len(run) <= 60 else run[:60] + " ..."
        return [Problem("garbled", f"it repeats itself ('{shown}' {repeats} times in a row)")]
    return []


# A lower-case word of an English sentence (not part of a hyphenated or elided one).
_LOWER_WORD = regex.compile(r"(?<![\p{L}\p{M}'’-])\p{Ll}+(?![\p{L}\p{M}'’-])")


def check_non_words(english: Text, source: Text) -> list[Problem]:
    """Words in lower case that are neither English (wordfreq's large list, or an English prefix on
    an English word) nor the source's: a made-up translation ("the steirish communities")."""
    problems = []
    prefixes = _facts()["english_prefixes"]  # "subsecretary", "narcotrafficking": English made of English
    for word in dict.fromkeys(_LOWER_WORD.findall(english.raw)):
        if len(word) < 5 or word in source.words or english_zipf(word) > 0:
            continue
        if not any(word.startswith(p) and english_zipf(word[len(p) :]) >= 2.0 for p in prefixes):
            problems.append(Problem("garbled", f"'{word}' is neither an English word nor one of the source's"))
    return problems


def check_sentence(english: str, source: str, language: str | None) -> list[Problem]:
    """Every way the English sentence disagrees with its source text (empty when it agrees).

    Args:
        english: the sentence that would enter the digest.
        source: the text it must agree with: the sentence it translates, or the cited articles.
        language: the source's ISO 639-1 code.
    """
    en, src = Text.of(english, ENGLISH), Text.of(source, language)
    return [
        *check_commentary(en),
        *check_repetition(en, src),
        *check_numbers(en, src),
        *check_calendar(en, src),
        *check_closed_classes(en, src),
        *check_time_units(en, src),
        *check_names(en, src),
        *check_bounds(en, src),
        *check_direction(en, src),
        *check_negation(en, src),
        *check_false_friends(en, src),
        *check_untranslated(en, src),
        *check_non_words(en, src),
    ]


def keep_terms(source: str, language: str | None) -> list[str]:
    """What a translation must carry over as written: the source's figures and names.

    Handed to the model as must-keep terms; names are capitalised words not opening a sentence
    (scripts without capitals give figures only).
    """
    del language  # names are found by capitals in every script that has them
    terms = [m.group(0).rstrip(".,") for m in _NUMBER.finditer(source)]
    run: list[str] = []
    for match in regex.finditer(r"\S+", source):
        word = match.group(0).strip(".,;:!?()\"“”«»„'’")
        starts = bool(_SENTENCE_START.search(source[: match.start()]))
        if word[:1].isupper() and not starts and word.casefold() not in _ENGLISH_COMMON_CAPS:
            run.append(word)
            if match.group(0)[-1] not in '.,;:!?)"”»':
                continue
        if run:
            terms.append(" ".join(run))
            run = []
    if run:
        terms.append(" ".join(run))
    return list(dict.fromkeys(t for t in terms if t))


def english_notation(english: str) -> str:
    """Figures a translation copied in the source's notation, written the English way.

    "0,25" -> "0.25", "1.200.000" -> "1,200,000", "4 500" -> "4,500". A lone "1.200" is left
    alone: in English it already reads as a decimal, and the fact check compares both readings.
    """

    def rewrite(match: regex.Match[str]) -> str:
        raw = match.group(0)
        core = raw.rstrip(".,")
        tail = raw[len(core) :]
        if regex.fullmatch(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+", core):
            return regex.sub(r"[ \u00a0\u202f]", ",", core) + tail
        if regex.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?", core) or regex.fullmatch(r"\d+(?:\.\d{3})+,\d+", core):
            whole, _, frac = core.partition(",")
            return whole.replace(".", ",") + ("." + frac if frac else "") + tail
        if regex.fullmatch(r"\d+,\d{1,2}", core):
            return core.replace(",", ".") + tail
        return raw

    return _NUMBER.sub(rewrite, english)
