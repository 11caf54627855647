"""A translated sentence keeps its original in every format a reader can look at; the report shows the checks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from briefing.models import (
    Article,
    ArticleRecord,
    CheckTally,
    Digest,
    Note,
    RunReport,
    Sentence,
    Story,
    StoryDigest,
    StorySummary,
    Usage,
)
from briefing.render import render_all, report_line, text_direction, to_email_html, to_html

FINNISH = 'Hallitus <script>alert("fi")</script> leikkaa 3 & 4 % "heti".'
ARABIC = 'قالت الوزارة إن <b>الأسعار</b> ارتفعت 5 % & "بسرعة".'
CHECKS = CheckTally(checked=24, passed=20, repaired=2, dropped=2)
CHECKS_LINE = "24 sentences checked: 20 passed, 2 repaired, 2 dropped."


def digest(checks: CheckTally = CHECKS) -> Digest:
    articles = [
        Article(id="fi-1", title="Leikkaukset", text="t", url="https://yle.example/1", source="Yle", language="fi"),
        Article(id="ar-1", title="الأسعار", text="t", url="https://news.example/ar", source="Akhbar", language="ar"),
        Article(id="en-1", title="Cuts", text="t", url="https://news.example/en", source="Wire", language="en"),
    ]
    sentences = [
        Sentence('The government <cuts> 3 & 4 % "now".', ["fi-1"], original=FINNISH, original_language="fi"),
        Sentence("Prices rose 5 %, the ministry said.", ["ar-1"], original=ARABIC, original_language="ar"),
        Sentence("Unions called a strike.", ["en-1"]),  # quoted from English: no original
    ]
    story = Story(id="s-1", articles=articles)
    records = [
        ArticleRecord(a.id, "used", story_id="s-1", fetched_from="x.jsonl", language=a.language) for a in articles
    ]
    report = RunReport(
        articles=records,
        llm_calls=7,
        cache_hits=2,
        usage=Usage(1000, 200),
        cost_usd=0.0123,
        model="scripted",
        mode="extractive",
        warnings=[Note("check", "s-1", "dropped: the figure 7 is not in the source")],
        retries=1,
        reasks=2,
        checks=checks,
        timings={"summarize": 1.5},
    )  # fmt: skip
    return Digest(
        date="2026-11-23",
        title="Daily briefing",
        overview=[Sentence("Budget cuts lead the day.", ["s-1"])],
        stories=[StoryDigest(story, "ok", StorySummary("Cuts & prices", sentences), 1)],
        report=report,
    )


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parents: list[str]
    text: str = ""
    children: list[Element] = field(default_factory=list)


class Tree(HTMLParser):
    """Every element with its attributes, ancestors and text (what a browser would show inside it)."""

    VOID = frozenset({"meta", "br", "img", "link", "input", "hr"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, [o.tag for o in self.open])
        if self.open:
            self.open[-1].children.append(element)
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data

    def find(self, tag: str, **attrs: str) -> list[Element]:
        wanted = {k.rstrip("_"): v for k, v in attrs.items()}
        return [e for e in self.elements if e.tag == tag and all(e.attrs.get(k) == v for k, v in wanted.items())]


def test_html_shows_each_original_escaped_in_an_expandable_with_its_language() -> None:
    html = to_html(digest())
    tree = Tree(html)
    assert not tree.find("script")
    assert "&lt;script&gt;alert(&#34;fi&#34;)&lt;/script&gt;" in html  # escaped, not markup
    details = tree.find("details", class_="orig")
    assert len(details) == 2  # the two translations; the quoted English sentence has none
    finnish, arabic = details
    assert [c.tag for c in finnish.children] == ["summary", "span"]
    summary, original = finnish.children
    assert summary.text == "fi" and summary.attrs["title"] == f"Original (fi): {FINNISH}"
    assert original.attrs == {"class": "orig-text", "lang": "fi", "dir": "auto"}
    assert original.text == FINNISH
    summary, original = arabic.children
    assert summary.text == "ar"
    assert original.attrs["lang"] == "ar" and original.attrs["dir"] == "rtl"
    assert original.text == ARABIC
    # <details> would close a <p>: the sentences sit in a div, so each original sits right after its sentence.
    body = tree.find("div", class_="story-text")[0]
    assert body.text.index("The government") < body.text.index(FINNISH) < body.text.index("Prices rose")


def test_email_puts_each_original_in_a_title_and_needs_no_details_or_script() -> None:
    html = to_email_html(digest())
    tree = Tree(html)
    assert not tree.find("script") and not tree.find("details")
    assert 'title="Original (fi): Hallitus &lt;script&gt;alert(&#34;fi&#34;)&lt;/script&gt; leikkaa 3 &amp; 4' in html
    finnish = tree.find("span", title=f"Original (fi): {FINNISH}")
    assert len(finnish) == 1
    assert finnish[0].text.startswith('The government <cuts> 3 & 4 % "now".')
    assert finnish[0].text.endswith("fi")  # the visible language tag says it is a translation
    arabic = tree.find("span", title=f"Original (ar): {ARABIC}")
    assert len(arabic) == 1 and arabic[0].text.startswith("Prices rose")
    assert len([e for e in tree.elements if e.attrs.get("title", "").startswith("Original")]) == 2


def test_json_has_each_original_with_its_language_and_the_checks() -> None:
    data = json.loads(render_all(digest(), ["json"])["digest.json"])
    sentences = data["stories"][0]["sentences"]
    assert sentences[0]["original"] == {"language": "fi", "text": FINNISH}
    assert sentences[1]["original"] == {"language": "ar", "text": ARABIC}
    assert sentences[2]["original"] is None
    assert data["overview_sentences"][0]["original"] is None
    assert data["report"]["checks"] == {"checked": 24, "passed": 20, "repaired": 2, "dropped": 2}


def test_every_format_reports_the_checks_and_omits_them_when_none_ran() -> None:
    files = render_all(digest(), ["md", "txt", "html", "json"])
    for name in ("digest.md", "digest.txt", "digest.html"):
        assert CHECKS_LINE in files[name], name
    assert CHECKS_LINE in to_email_html(digest())
    line = report_line(digest())
    assert line.index("rejected.") < line.index(CHECKS_LINE) < line.index("LLM calls")
    assert "checked" not in report_line(digest(CheckTally()))
    singular = report_line(digest(CheckTally(checked=1, passed=1)))
    assert "1 sentence checked: 1 passed, 0 repaired, 0 dropped." in singular


def test_originals_are_in_the_html_formats_and_markdown_and_text_keep_sentences_clean() -> None:
    files = render_all(digest(), ["md", "txt", "html"])
    assert "Hallitus" in files["digest.html"] and "الوزارة" in files["digest.html"]
    assert "Hallitus" in to_email_html(digest())
    for name in ("digest.md", "digest.txt"):
        assert "Hallitus" not in files[name] and "الوزارة" not in files[name], name


@pytest.mark.parametrize(
    ("language", "direction"), [("ar", "rtl"), ("he", "rtl"), ("fa-IR", "rtl"), ("fi", "auto"), (None, "auto")]
)
def test_text_direction(language: str | None, direction: str) -> None:
    assert text_direction(language) == direction
