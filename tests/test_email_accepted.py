"""A message the SMTP server accepted is sent, whatever happens after: never a second copy.

A real SMTP server (aiosmtpd on 127.0.0.1) accepts DATA with 250, then fails at QUIT: it answers
with an error, or drops the connection. The send must count, and `briefing send` must not send again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from briefing.app import Send, resend
from briefing.config import EmailConfig, load_config
from briefing.delivery import build_message, send
from briefing.digest_json import dumps
from briefing.errors import DeliveryError
from briefing.models import Article, Digest, RunReport, Sentence, Story, StoryDigest, StorySummary
from tests.support.servers import free_port

TO = ["ana@example.org", "ben@example.org"]


class Server:
    """Accepts every message; at QUIT answers `quit` (an SMTP reply), or drops the connection when None."""

    def __init__(self, quit: str | None = "221 Bye", refuse: tuple[str, ...] = (), data: str = "250 Accepted") -> None:
        self.quit, self.refuse, self.data = quit, refuse, data
        self.received: list[Any] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data.startswith("250"):
            self.received.append(envelope)
        return self.data

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.quit is None:
            server.transport.abort()  # no answer at all: the connection is gone
        return self.quit or "221 Bye"


@pytest.fixture
def smtp() -> Iterator[Any]:
    """Start a server for a handler; stopped after the test."""
    controllers: list[Controller] = []

    def start(handler: Server) -> int:
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        return int(controller.port)

    yield start
    for controller in controllers:
        controller.stop()


def digest() -> Digest:
    article = Article(
        id="a-1", title="Budget", text="t", url="https://news.example.com/1", source="Wire", language="en"
    )
    summary = StorySummary("The council approves the budget", [Sentence("The council approved it.", ["a-1"])])
    item = StoryDigest(Story(id="s-1", articles=[article]), "ok", summary, 1)
    return Digest("2026-11-23", "Daily briefing", [Sentence("Budget approved.", ["s-1"])], [item], RunReport())


def config(port: int) -> EmailConfig:
    return EmailConfig(to=TO, sender="briefing@news.example", host="127.0.0.1", port=port, security="plain")


@pytest.mark.parametrize("quit", ["554 5.0.0 QUIT failed", "421 4.3.2 shutting down", None], ids=["554", "421", "drop"])
def test_a_failure_after_the_message_was_accepted_is_a_warning(
    smtp: Any, quit: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    server = Server(quit=quit)
    port = smtp(server)
    with caplog.at_level(logging.WARNING, logger="briefing.delivery"):
        refused = send(build_message(digest(), config(port)), config(port))
    assert refused == []
    assert len(server.received) == 1
    assert "accepted the message" in caplog.text


def test_briefing_send_after_a_failed_quit_sends_no_second_copy(
    smtp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Server(quit="554 5.0.0 QUIT failed")
    port = smtp(server)
    monkeypatch.chdir(tmp_path)
    env = {
        "BRIEFING_CACHE_DIR": str(tmp_path / "cache"),
        "BRIEFING_EMAIL_TO": ",".join(TO),
        "BRIEFING_EMAIL_HOST": "127.0.0.1",
        "BRIEFING_EMAIL_PORT": str(port),
        "BRIEFING_EMAIL_SECURITY": "plain",
    }
    settings = load_config(None, env=env)
    folder = tmp_path / "2026-11-23"
    folder.mkdir()
    (folder / "digest.json").write_text(dumps(digest()), encoding="utf-8")
    first = resend(folder, settings, Send())
    again = resend(folder, settings, Send())
    assert (first.status, again.status) == ("sent", "already_sent")
    assert len(server.received) == 1


def test_recipients_refused_beside_accepted_ones_are_reported_not_raised(
    smtp: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = Server(refuse=("ben@example.org",))
    port = smtp(server)
    with caplog.at_level(logging.WARNING, logger="briefing.delivery"):
        refused = send(build_message(digest(), config(port)), config(port))
    assert refused == ["ben@example.org"]
    assert [e.rcpt_tos for e in server.received] == [["ana@example.org"]]
    assert "ben@example.org" in caplog.text


def test_a_message_refused_at_data_is_still_an_error(smtp: Any) -> None:
    server = Server(data="554 5.7.1 rejected as spam")
    port = smtp(server)
    with pytest.raises(DeliveryError, match="refused the message: 554"):
        send(build_message(digest(), config(port)), config(port))
    assert server.received == []
