"""Hostile article fields and model text, in every format: no forged link, no forged line, no spoofing.

An article's url, title, outlet and id come from whoever wrote the feed; headlines and sentences
from a model that read it. Each format is read back the way its readers read it: digest.md by
GitHub's Markdown (cmark-gfm, autolinks included), the HTML by an HTML parser, the text part and
the subject by a linkifier like a mail client's (linkify-it).
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from html.parser import HTMLParser

import cmarkgfm
import pytest
from linkify_it import LinkifyIt

from briefing.asking import clean_model_text
from briefing.config import EmailConfig
from briefing.delivery import build_message, subject
from briefing.digest_json import dumps, from_json
from briefing.models import Article, Digest, RunReport, Sentence, Story, StoryDigest, StorySummary
from briefing.render import WITHHELD, to_email_html, to_html, to_markdown, to_text
from briefing.safety import link_url, model_text, no_links
from briefing.summarize import parse_story_answer

GOOD = "https://news.example.com/world/a_(1)?x=1&y=2#top"
# Characters that end a line somewhere (Python's str.splitlines knows them all), and other controls.
BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00", "\x1b"]
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def make_digest(
    *,
    url: str | None = GOOD,
    title: str = "Council approves budget",
    outlet: str = "Wire",
    article_id: str = "a-1",
    headline: str = "Council approves the budget",
    text: str = "The council approved the budget on Tuesday.",
    original: str | None = "Il consiglio ha approvato il bilancio martedì.",
    error: str | None = None,
    digest_title: str = "Daily briefing",
    date: str = "2026-11-23",
) -> Digest:
    """A one-story digest whose every shown field can be set; a second article copies the first."""
    article = Article(id=article_id, title=title, text="t", url=url, source=outlet, language="it")
    copy = Article(id="a-2", title=title, text="t", url=url, source=outlet, language="it")
    story = Story(id="s-1", articles=[article], duplicates={article_id: [copy]})
    sentence = Sentence(text, [article_id], original=original, original_language="it")
    summary = None if error else StorySummary(headline=headline, sentences=[sentence])
    item = StoryDigest(story, "unavailable" if error else "ok", summary, 1, error=error)
    overview = [Sentence(text, ["s-1"])]
    return Digest(date=date, title=digest_title, overview=overview, stories=[item], report=RunReport())


class Links(HTMLParser):
    """Every href of an <a> in an HTML document, except the digest's own #anchors."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href is not None and not href.startswith("#"):
            self.hrefs.append(href)


def md_links(markdown: str) -> set[str]:
    """The links GitHub's Markdown makes of a document, autolinks included."""
    return set(Links(cmarkgfm.github_flavored_markdown_to_html(markdown)).hrefs)


def html_links(html: str) -> set[str]:
    return set(Links(html).hrefs)


def autolinks(text: str) -> set[str]:
    """What a mail client's linkifier turns into links in plain text."""
    return {m.raw for m in LinkifyIt().match(text) or []}


def every_format(digest: Digest) -> dict[str, str]:
    return {"md": to_markdown(digest), "txt": to_text(digest), "html": to_html(digest), "email": to_email_html(digest)}


def links_in(digest: Digest) -> dict[str, set[str]]:
    """The links each format of the digest makes, as its readers see them."""
    shown = every_format(digest)
    return {
        "md": md_links(shown["md"]),
        "txt": autolinks(shown["txt"]),
        "html": html_links(shown["html"]),
        "email": html_links(shown["email"]),
        "subject": autolinks(subject(digest)),
    }


# 1. Links: only a source's URL, validated, and only where the source list puts it.

HOSTILE_URLS = [
    "https://ok.example/a>)[click](https://evil.example",  # the example
    "https://ok.example/a>[click](https://evil.example)<",
    'https://ok.example/"onmouseover="alert(1)',
    "https://ok.example/a'onclick='x",
    "https://ok.example/a b https://evil.example",
    "https://ok.example/a\nhttps://evil.example",
    "https://ok.example/a\u2028https://evil.example",
    "https://ok.example\\@evil.example/",
    "https://ok.example/`x`",
    "https://ok.example/\u202egpj.exe",
    "https://ok.example/\x00",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://files.example.com/x",
    "//evil.example.com/x",
    "https://user:pw@evil.example.com/",
    "https://ok.example.com@evil.example.com/",
    "https://localhost/admin",
    "http://127.0.0.1/admin",
    "http://192.168.1.1/reboot",
    "http://[::1]/",
    "https:///no-host",
    "https://intranet/x",
    "https://ok.example:99999/",
    "https://a..example/",
    "https://1.2.3.999/",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_hostile_url_is_no_link_in_any_format_and_is_flagged(url: str) -> None:
    digest = make_digest(url=url)
    assert links_in(digest) == {"md": set(), "txt": set(), "html": set(), "email": set(), "subject": set()}
    for fmt, shown in every_format(digest).items():
        assert WITHHELD in shown, fmt
        assert "evil" not in shown, fmt
    assert link_url(url) is None


ODD_BUT_VALID = [
    (GOOD, GOOD),
    ("https://en.wikipedia.org/wiki/Python_(programming_language)", None),
    ("HTTPS://News.Example.COM/Köln?q=ä", "https://news.example.com/K%C3%B6ln?q=%C3%A4"),
    ("https://bücher.example.com/x", "https://xn--bcher-kva.example.com/x"),
    # A URL holding another behind a lone ')': one link, not two.
    ("https://ok.example.com/a)[click](https://evil.example.com)", None),
    ("https://ok.example.com/a?list[]=1&b={2}|3^", "https://ok.example.com/a?list%5B%5D=1&b=%7B2%7D%7C3%5E"),
    ("https://8.8.8.8/x", None),
]


@pytest.mark.parametrize(("url", "expected"), ODD_BUT_VALID)
def test_a_valid_url_is_the_one_link_of_its_source_in_every_format(url: str, expected: str | None) -> None:
    shown = link_url(url)
    assert shown is not None
    if expected is not None:
        assert shown == expected
    links = links_in(make_digest(url=url))
    assert links["html"] == links["email"] == {shown}
    assert links["txt"] == {shown}  # on its own line, read as one link
    assert len(links["md"]) == 1
    assert links["subject"] == set()


def test_link_text_cannot_close_the_link_or_open_another() -> None:
    for title in ["x](https://evil.example.com) [y", "[click](https://evil.example.com)", "<https://evil.example.com>"]:
        md = to_markdown(make_digest(title=title))
        assert md_links(md) == {GOOD}, title


def test_links_never_come_from_the_model_or_from_text_fields() -> None:
    digest = make_digest(
        url=None,
        headline="Read more at https://evil.example.com/x or www.evil.com",
        text="Log in at evil.com/login, mail help@evil.com or click [here](https://evil.com).",
        title="Visit www.evil.com and https://evil.com/title",
        outlet="evil.com",
        article_id="https://evil.com/guid",
    )
    assert links_in(digest) == {"md": set(), "txt": set(), "html": set(), "email": set(), "subject": set()}


# 2. One line is one line.


def hostile_lines(br: str) -> Digest:
    forged = f"{br}  [9] Forged source — Evil, en{br}      https://evil.example.com/{br}## 9. Forged{br}"
    return make_digest(
        url=f"https://ok.example.com/a{forged}",
        title=f"Title{forged}",
        outlet=f"Outlet{forged}",
        article_id=f"id{forged}",
        headline=f"Headline{forged}",
        text=f"Sentence{forged}",
        original=f"Originale{forged}",
        digest_title=f"Briefing{forged}",
        date=f"2026-11-23{forged}",
    )


@pytest.mark.parametrize("br", BREAKS, ids=[ascii(b) for b in BREAKS])
def test_a_line_break_in_any_field_forges_no_line(br: str) -> None:
    # The hostile URL is withheld (no line of its own), so the benign digest has none either.
    benign, hostile = every_format(make_digest(url=None)), every_format(hostile_lines(br))
    for fmt in ("md", "txt"):
        assert len(hostile[fmt].splitlines()) == len(benign[fmt].splitlines()), fmt
        assert not any(line.lstrip().startswith(("[9]", "## 9", "https://evil")) for line in hostile[fmt].splitlines())
    for fmt, text in hostile.items():
        assert not CONTROL.search(text), fmt


@pytest.mark.parametrize("br", BREAKS, ids=[ascii(b) for b in BREAKS])
def test_the_email_has_one_subject_line_and_a_text_part_without_forged_lines(br: str) -> None:
    config = EmailConfig(to=["ana@example.org"], sender="briefing@news.example")
    digest = hostile_lines(br)
    digest.stories[0].summary.headline += f"{br}Bcc: victim@example.org"  # type: ignore[union-attr]
    raw = build_message(digest, config).as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None
    assert "\n" not in str(parsed["Subject"]) and not CONTROL.search(str(parsed["Subject"]))
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    benign = to_text(make_digest(url=None))
    assert len(body.get_content().splitlines()) == len(benign.splitlines())


# 4. Model text: no URL, no autolinked name, no invisible or direction-changing character.

MODEL_TEXT = [
    ("Log in at evil.example/login today.", "Log in at evil[.]example/login today."),
    ("See www.x.com for more.", "See www[.]x[.]com for more."),
    ("Amazon.com and EVIL.COM said so.", "Amazon[.]com and EVIL[.]COM said so."),
    ("Write to press@evil.com now.", "Write to press@evil[.]com now."),
    ("Go to sub.evil.co.uk:8080/x now.", "Go to sub[.]evil[.]co[.]uk:8080/x now."),
    ("Fullwidth evil\u3002com and evil\uff0ecom.", "Fullwidth evil[.]com and evil[.]com."),
    ("Hidden evil\u200b.com here.", "Hidden evil[.]com here."),
    ("Files at ftp://files.example.com/x today.", "Files at today."),
    ("Click javascript:alert(1) now.", "Click now."),
    ("Open data:text/html;base64,PHNjcmlwdD4= now.", "Open now."),
    ("Read https://evil.example/x now.", "Read now."),
    ("The \u202egnp.exe\u202c file and \u2066iso\u2069 text.", "The gnp.exe file and iso text."),
    ("Marks \u200eLRM\u200f and \u061cALM stay out.", "Marks LRM and ALM stay out."),
    ("Tagged\U000e0041\U000e0042 text.", "Tagged text."),
    # Legitimate text is left alone.
    ("Output rose 3.5% in the U.S., e.g. in Texas.", None),
    ("I.e. the E.U. and Ph.D. holders met at 10.30 a.m. on Jan. 5.", None),
    ("Mr. Smith paid $1,234.56 for version 2.0.1 of the app.", None),
    ("No. 10 Downing St. and St. Louis, Mo., agreed.", None),
    ("The data: 5% more, about: 3 in 10.", None),
    ("Scores were 3.5/10 and/or 7.2/10.", None),
    ("A family 👨\u200d👩\u200d👧 and a ZWNJ in می\u200cخواهم.", None),
]


@pytest.mark.parametrize(("said", "shown"), MODEL_TEXT)
def test_model_text_is_shown_without_links_or_invisible_characters(said: str, shown: str | None) -> None:
    cleaned = clean_model_text(said, 600)
    assert cleaned == (said if shown is None else shown)
    assert model_text(cleaned) == cleaned == clean_model_text(cleaned, 600)  # idempotent: cleaned again when shown
    assert autolinks(cleaned) == set()
    assert not BIDI.search(cleaned)


def test_a_model_answer_reaches_the_summary_cleaned() -> None:
    answer = json.dumps(
        {
            "headline": "Evil\u202e.com says visit www.evil.com",
            "sentences": [{"text": "Log in at evil.com/login or https://evil.com.\nNew line.", "citations": ["A1"]}],
        }
    )
    summary = parse_story_answer(answer, {"A1": "a-1"})
    assert summary.headline == "Evil[.]com says visit www[.]evil[.]com"
    assert summary.sentences[0].text == "Log in at evil[.]com/login or New line."


def test_model_text_read_back_from_digest_json_is_cleaned_when_shown() -> None:
    # A digest.json from an older version (or edited by hand) is rendered like fresh model output.
    hostile = make_digest(headline="Visit evil.com\u202e now", text="Mail help@evil.com or www.evil.com\u2066.")
    digest = from_json(json.loads(dumps(hostile)))
    assert links_in(digest) == {"md": {GOOD}, "txt": {GOOD}, "html": {GOOD}, "email": {GOOD}, "subject": set()}
    for fmt, shown in every_format(digest).items():
        assert not BIDI.search(shown), fmt
    assert "evil[.]com" in subject(digest)


def test_text_fields_stay_readable() -> None:
    title = "Amazon.com posts record sales, up 3.5% (U.S.)"
    assert no_links(title) == "Amazon[.]com posts record sales, up 3.5% (U.S.)"
    assert no_links("See https://x.example.com/a") == "See https[:]//x[.]example[.]com/a"
    assert no_links("Reuters") == "Reuters"
