"""A real HTTP server on 127.0.0.1 serving feeds, OPML and article pages, with faults on demand.

Routes: /feed.xml (RSS, teaser entries, ETag/Last-Modified, 304 on a match), /atom.xml,
/subscriptions.opml, /article/<n>.html, /moved (redirect to /feed.xml), /loop (redirects to
itself), /missing (404), /broken (500), /slow (a body that drips for 2 s), /huge (too large).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler

from tests.support.servers import LocalServer, QuietHandler

PAGES = {
    1: ("Rotterdam dock workers strike over automation plans", "en",
        "Dock workers at the Port of Rotterdam walked out on Saturday in a 48-hour strike against plans to automate "
        "two container terminals. The union FNV Havens said about 4,500 workers joined the action. Port operator "
        "Hutchison Ports ECT said 30 ships were waiting at anchor. FNV negotiator Niek Stam said the workers want a "
        "guarantee that no jobs will be lost before 2030."),
    2: ("Havenstaking in Rotterdam legt containerterminals stil", "nl",
        "Havenarbeiders in de Haven van Rotterdam zijn zaterdag begonnen aan een staking van 48 uur tegen de "
        "automatisering van twee containerterminals. Volgens vakbond FNV Havens doen ongeveer 4.500 medewerkers "
        "mee. Hutchison Ports ECT meldt dat 30 schepen voor anker liggen. Onderhandelaar Niek Stam wil een "
        "garantie tot 2030."),
    3: ("Suomen Pankki: korkojen lasku jatkuu ensi vuonna", "fi",
        "Suomen Pankin pääjohtaja Olli Rehn arvioi perjantaina, että Euroopan keskuspankki laskee ohjauskorkoa vielä "
        "0,25 prosenttiyksikköä vuoden 2027 alussa. Rehnin mukaan inflaatio on hidastunut euroalueella 1,9 "
        "prosenttiin. Suomen Pankki ennustaa Suomen talouden kasvavan 1,4 prosenttia ensi vuonna."),
}  # fmt: skip
ETAG = '"feed-v1"'
LAST_MODIFIED = "Sat, 22 Nov 2026 12:00:00 GMT"


def page_html(number: int) -> str:
    title, language, text = PAGES.get(number, (f"Story {number}", "en", f"Body of generated story {number}. " * 12))
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><title>{title}</title></head><body>'
        f"<nav>Home | World | Business</nav><article><h1>{title}</h1><p>{text}</p></article>"
        "<footer>Privacy policy · Contact</footer></body></html>"
    )


def rss(numbers: list[int], title: str = "Harbour Wire") -> str:
    items = "".join(
        f"<item><title>{PAGES.get(n, (f'Story {n}',))[0]}</title><link>/article/{n}.html</link>"
        f"<guid>urn:story:{n}</guid><pubDate>Sat, 22 Nov 2026 0{n % 10}:30:00 +0100</pubDate>"
        f"<description>Teaser {n}.</description></item>"
        for n in numbers
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0">'
    return f"{head}<channel><title>{title}</title>{items}</channel></rss>"


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Talous Atom</title>
<entry><title>Suomen Pankki: korkojen lasku jatkuu ensi vuonna</title><id>urn:fi:1</id>
<link href="/article/3.html"/><updated>2026-11-21T07:00:00+02:00</updated>
<summary>Lyhyesti.</summary></entry></feed>"""

OPML = """<?xml version="1.0"?><opml version="2.0"><head><title>My news</title></head><body>
<outline text="Harbour" title="Harbour Wire" type="rss" xmlUrl="{base}/feed.xml"/>
<outline text="Talous" type="rss" xmlUrl="{base}/atom.xml"/></body></opml>"""


class FeedServer(LocalServer):
    """`with FeedServer() as server:`; `server.url(path)`; `server.hits` counts requests per path."""

    def __init__(self, feed_items: list[int] | None = None, page_delay: float = 0.0) -> None:
        self.feed_items = feed_items or [1, 2, 3]
        self.page_delay = page_delay  # seconds before each article page: a network round trip
        self.hits: Counter[str] = Counter()
        self.not_modified = 0
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(QuietHandler):
            def send(self, status: int, body: str | bytes, ctype: str = "text/html", **headers: str) -> None:
                data = body.encode("utf-8") if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", f"{ctype}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                outer.hits[path] += 1
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.route(path)

            def route(self, path: str) -> None:
                if path == "/feed.xml":
                    if self.headers.get("If-None-Match") == ETAG:
                        outer.not_modified += 1
                        self.send_response(304)
                        self.send_header("ETag", ETAG)
                        self.end_headers()
                        return
                    feed = rss(outer.feed_items)
                    self.send(200, feed, "application/rss+xml", ETag=ETAG, Last_Modified=LAST_MODIFIED)
                elif path == "/atom.xml":
                    self.send(200, ATOM, "application/atom+xml")
                elif path == "/subscriptions.opml":
                    self.send(200, OPML.format(base=outer.url("")), "text/x-opml")
                elif path.startswith("/article/") and path.endswith(".html"):
                    time.sleep(outer.page_delay)
                    self.send(200, page_html(int(path[len("/article/") : -len(".html")])))
                elif path == "/moved":
                    self.send(301, "", Location="/feed.xml")
                elif path == "/to-file":
                    self.send(302, "", Location="file:///etc/passwd")
                elif path == "/loop":
                    self.send(302, "", Location="/loop")
                elif path == "/broken":
                    self.send(500, "internal error")
                elif path == "/slow":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    for _ in range(20):  # 2 s: longer than the fetch timeout the tests set
                        self.wfile.write(b" " * 100)
                        self.wfile.flush()
                        time.sleep(0.1)
                elif path == "/huge":
                    self.send(200, b"<rss>" + b" " * 12_000_000, "application/rss+xml")
                else:
                    self.send(404, "not found")

        return Handler
