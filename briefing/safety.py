"""What untrusted text may look like where a reader sees it: one line, no forged links, no spoofing.

Article fields (title, outlet, id, URL) come from whoever wrote the feed or file; model text comes
from a model that read those articles. Every format (Markdown, HTML, text, the email's headers)
shows them through these functions, so that:

* a field shown on one line is one line (`one_line`): a title cannot forge a source line;
* a link is only ever a source's URL that passed `link_url`; every other field is shown through
  `no_links`, with its schemes and host names broken ('https[:]//evil[.]example') so that no
  Markdown viewer or mail client makes a link of it;
* model text (`model_text`) carries no URL, no string a mail client turns into a link, and no
  invisible or direction-changing character.

Pure functions; each is idempotent, so text cleaned when it is made can be cleaned again when shown.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from functools import cache
from importlib import resources
from urllib.parse import quote, urlsplit

# Control characters (C0, DEL, C1 including NEL) and the Unicode line and paragraph separators:
# each ends a line in some viewer, so each becomes a space.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Explicit embeddings, overrides and isolates (LRE..RLO, LRI..PDI): one in a title would reorder
# the rest of its line, outlet and date included. The marks (LRM, RLM, ALM) only nudge neutral
# characters and are kept in article fields, where right-to-left text needs them.
_BIDI_EMBEDDINGS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Joiners shape emoji and Persian or Indic words; every other format character is invisible.
_KEPT_FORMAT = frozenset("\u200c\u200d")
# A scheme that makes a link: any followed by //, or one a browser or mail client runs or dials
# without slashes. Bounded in length, so a long run of dotted words is scanned once, not once per word.
_SCHEME = (
    r"\b(?P<scheme>[a-z][a-z0-9+.-]{0,31}(?=://)"
    r"|(?:javascript|vbscript|livescript|data|file|mailto|tel|sms|callto|blob|about|intent|view-source)(?=:\S))"
)
_SCHEMED = re.compile(_SCHEME + r":\S*", re.IGNORECASE)  # the scheme and the rest of the URL
_SCHEME_COLON = re.compile(_SCHEME + ":", re.IGNORECASE)
BROKEN_COLON = "[:]"
# Dots as IDNA reads them: the full stop, and the ideographic, fullwidth and halfwidth ones.
_DOTS = ".\u3002\uff0e\uff61"
_DOT = re.compile(f"[{_DOTS}]")
# A run of word characters, hyphens and dots: a host name is one (examined by `break_hosts`).
_WORDS = re.compile(f"[\\w{_DOTS}-]+")
_LABEL = re.compile(r"[^\W_](?:[\w-]{0,61}[^\W_])?")
_TLD = re.compile(r"[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59}", re.IGNORECASE)
# A path, port, query or fragment after a host name: a character of these, then one that is not a space.
_PATH_START = re.compile(r"[/:?#][^\s/]")
BROKEN_DOT = "[.]"
# Characters a link's address may not contain here (besides whitespace and control characters):
# each could end a Markdown destination, an HTML attribute or a text line early.
_URL_FORBIDDEN = frozenset("<>\"'`\\")
MAX_URL_CHARS = 2048
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
# What stays as it is in the path, query and fragment of a link (RFC 3986's delimiters and '%').
_URL_SAFE = "/:?#@!$&*+,;=%~"


@cache
def top_level_domains() -> frozenset[str]:
    """Every top-level domain a mail client might recognise (briefing/data/tlds.txt)."""
    text = resources.files("briefing").joinpath("data/tlds.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def one_line(text: str) -> str:
    """The text on one line: line breaks and control characters as spaces, spaces folded, no bidi overrides."""
    return " ".join(_BIDI_EMBEDDINGS.sub("", _CONTROLS.sub(" ", text)).split())


def visible(text: str) -> str:
    """The text without invisible format characters (bidi marks and overrides, zero widths, tags)."""
    return "".join(c for c in text if c in _KEPT_FORMAT or unicodedata.category(c) != "Cf")


def break_hosts(text: str) -> str:
    """Host names written as text, with their dots broken: 'evil.example/login' -> 'evil[.]example/login'.

    A name counts when its last label is a known top-level domain (mail clients link those), or when
    a path, port or query follows it. Decimals ('3.5'), abbreviations ('U.S.', 'e.g.') and words
    joined by a dot to an unknown ending ('Ph.Ds') are left alone.
    """

    def repl(match: re.Match[str]) -> str:
        run = match.group(0)
        core = run.strip(_DOTS + "-_")
        labels = _DOT.split(core)
        if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or not _TLD.fullmatch(labels[-1]):
            return run
        tld = labels[-1].casefold()
        followed = _PATH_START.match(text, match.end()) is not None
        if tld not in top_level_domains() and not tld.startswith("xn--") and not followed:
            return run
        start = run.index(core)
        return run[:start] + _DOT.sub(BROKEN_DOT, core) + run[start + len(core) :]

    return _WORDS.sub(repl, text)


def no_links(text: str) -> str:
    """One line no viewer or mail client turns into a link: schemes ('https[:]//') and host names broken.

    For article fields shown as text (titles, outlets, ids): they stay readable and complete.
    """
    return break_hosts(_SCHEME_COLON.sub(lambda m: m["scheme"] + BROKEN_COLON, one_line(text)))


def model_text(text: str) -> str:
    """Text written by a model, fit to show: one visible line, URLs with a scheme removed, host names broken."""
    return one_line(break_hosts(_SCHEMED.sub(" ", one_line(visible(text)))))


def link_url(url: str | None) -> str | None:
    """The URL as a link shows it, or None when it may not be one (the source is then shown without a link).

    Accepted: http and https only, to a real host (a dotted name or a public IP address) with no
    user name or password before it (they would make the link read as another site), and no
    whitespace, control or format characters, quotes, angle brackets or backslashes anywhere; at
    most MAX_URL_CHARS long. Returned in a form every reader takes as one link and nothing more:
    the host in ASCII (punycode), non-ASCII characters, brackets and braces percent-encoded, and
    parentheses too unless they pair up (in a mail client a lone ')' ends the link early, and an
    address after it would become a link of its own).
    """
    if not url:
        return None
    url = url.strip(" \t\r\n")
    if not url or len(url) > MAX_URL_CHARS or any(c in _URL_FORBIDDEN for c in url):
        return None
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number in range
        return None
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc or not parts.hostname:
        return None
    host = _ascii_host(parts.hostname)
    if host is None:
        return None
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    rest = url[len(parts.scheme) + 3 + len(parts.netloc) :]
    safe = _URL_SAFE + ("()" if _balanced(rest) else "")
    return f"{parts.scheme.lower()}://{netloc}{quote(rest, safe=safe)}"


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def _ascii_host(host: str) -> str | None:
    """The host in ASCII if it is a real one: a public IP address, or a dotted name not ending in digits."""
    try:
        address = ipaddress.ip_address(host)
        return str(address) if address.is_global else None  # no loopback, private or link-local address
    except ValueError:
        pass
    try:
        name = host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:  # an empty or overlong label, or characters IDNA refuses
        return None
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or labels[-1].isdigit():
        return None
    return name if all(_HOST_LABEL.fullmatch(label) for label in labels) else None
