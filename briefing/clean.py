"""Clean article text: strip page furniture, normalise, keep the declared origin. Pure functions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from briefing.models import Article

# Lines that are navigation or footer furniture on their own, in the languages we see most.
_FURNITURE = re.compile(
    r"""^(
        privacy(\s+policy)? | privacy\s+notice | cookie(s|\s+policy|\s+settings)? | contact(\s+us)? |
        terms(\s+of\s+(use|service))? | imprint | impressum | datenschutz(erklärung)? | kontakt |
        related(\s+(links|articles|stories|posts))? | read\s+more | more\s+stories | see\s+also |
        back\s+to\s+(headlines|top|home|news) | advertisement | anzeige | publicité | pubblicità | mainos |
        share(\s+(this|on\s+\w+))? | partager | condividi | teilen | jaa | tweet | subscribe |
        sign\s+up(\s+for\s+our\s+newsletter)? | newsletter | all\s+rights\s+reserved.* |
        ©.* | copyright\s.* | tietosuoja(seloste)? | yhteystiedot | articoli\s+correlati |
        lue\s+myös | leggi\s+anche | lire\s+aussi | à\s+lire\s+aussi | mehr\s+zum\s+thema |
        (il\s+y\s+a|vor|hace)\s+\d+\s+\w+ | \d+\s+(days?|hours?|minutes?)\s+ago |
        home | menu | search | login | log\s+in
    )[\s.:!|»›>-]*$""",
    re.IGNORECASE | re.VERBOSE,
)

# A heading that opens a FAQ block; such blocks restate the article, so they are cut.
_FAQ_HEADING = re.compile(
    r"^(faq|faqs|ukk|frequently\s+asked\s+questions|domande\s+frequenti|häufige\s+fragen|"
    r"questions\s+fréquentes|usein\s+kysytyt\s+kysymykset|preguntas\s+frecuentes)\s*:?$",
    re.IGNORECASE,
)

# Declared origins: "Source: Spiceworks", "Lähde: Spiceworks", "The source of the article is ...".
_ORIGIN_PATTERNS = [
    re.compile(r"^the\s+source\s+of\s+(?:the|this)\s+article\s+is\s+(?:from\s+)?(?:the\s+)?(.+?)\.?$", re.I),
    re.compile(
        r"^(?:source|sources|lähde|lähteet|fonte|fonti|quelle|quellen|source\s+de\s+l'article|"
        r"fuente|bron|källa|kilde|źródło|источник)\s*[:：]\s*(.{2,120}?)\.?$",
        re.I,
    ),
    re.compile(r"^(?:originally\s+published\s+(?:on|by|at)|via)\s+(.{2,120}?)\.?$", re.I),
]

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_MANY_BLANKS = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200e\u200f\ufeff]")


@dataclass(frozen=True)
class Cleaned:
    """The result of cleaning a body of text."""

    text: str
    original_source: str | None
    removed_lines: int


def normalise(text: str) -> str:
    """NFC-normalise, drop control characters, fold runs of spaces, keep paragraph breaks."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_BLANKS.sub("\n\n", "\n".join(lines)).strip()


def is_furniture(line: str) -> bool:
    """True when a line on its own is navigation, footer or widget text."""
    stripped = line.strip()
    return bool(stripped) and len(stripped) <= 80 and bool(_FURNITURE.match(stripped))


def declared_origin(line: str) -> str | None:
    """The outlet a line declares the article comes from, if it is such a line."""
    stripped = line.strip()
    if len(stripped) > 160:
        return None
    for pattern in _ORIGIN_PATTERNS:
        match = pattern.match(stripped)
        if match:
            origin = match.group(1).strip(" .\"'“”«»")
            origin = re.sub(r"^(?:blog|website|site)\s+", "", origin, flags=re.I)
            return origin or None
    return None


def _cut_faq(lines: list[str]) -> list[str]:
    """Drop a FAQ block (heading, then question/answer pairs) that restates the article."""
    for index, line in enumerate(lines):
        if _FAQ_HEADING.match(line.strip()) and index > 0:
            return lines[:index]
    return lines


def clean_text(text: str) -> Cleaned:
    """Strip furniture, FAQ blocks and origin lines from a body; return what remains.

    Args:
        text: the article body as read.

    Returns:
        The cleaned text, the declared origin if any line declared one, and how many lines went.
    """
    lines = normalise(text).split("\n")
    origin: str | None = None
    kept: list[str] = []
    removed = 0
    for line in lines:
        found = declared_origin(line)
        if found:
            origin = origin or found
            removed += 1
        elif is_furniture(line):
            removed += 1
        else:
            kept.append(line)
    before_faq = len(kept)
    kept = _cut_faq(kept)
    removed += before_faq - len(kept)
    body = _MANY_BLANKS.sub("\n\n", "\n".join(kept)).strip()
    return Cleaned(text=body, original_source=origin, removed_lines=removed)


def clean_article(article: Article) -> Article:
    """Return a cleaned copy of an article; a declared origin found in the text is kept."""
    cleaned = clean_text(article.text)
    title = normalise(article.title).replace("\n", " ")
    return replace(
        article,
        title=title,
        text=cleaned.text,
        original_source=article.original_source or cleaned.original_source,
    )
