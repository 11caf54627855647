"""Email delivery and daily runs against a real SMTP server (aiosmtpd on 127.0.0.1).

Runs go through briefing.app; `briefing send` is called as a command for its exit codes.
STARTTLS with a login is sent by the command line itself, in test_cli.py.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from pathlib import Path

import pytest

import briefing.app
from briefing.app import Delivery, Send
from briefing.cli import EXIT_ALREADY_SENT, EXIT_DELIVERY, EXIT_OK, main
from briefing.config import load_config
from briefing.errors import ConfigError
from briefing.paths import Paths
from briefing.store import State
from tests.support.data import CORPUS, read_digest
from tests.support.openai_server import ScriptedOpenAI
from tests.support.runs import DATE, run_day
from tests.support.servers import free_port
from tests.support.smtp import Inbox, parts, smtp_server, tls_context

SEND = Send()


@pytest.fixture
def inbox(mail_env: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1, configured as the mail server, keeping what it receives."""
    handler = Inbox()
    with smtp_server(handler) as port:
        mail_env.setenv("BRIEFING_EMAIL_PORT", str(port))
        yield handler


def deliver_day(out: Path, delivery: Send = SEND) -> Delivery:
    """A daily run of the test corpus that delivers its digest; what became of the delivery."""
    outcome = run_day([CORPUS], out, delivery=delivery)
    assert outcome.status == "ok" and outcome.delivery is not None
    return outcome.delivery


def test_digest_arrives_with_both_parts_headers_links_and_every_source(inbox: Inbox, isolated_env: Path) -> None:
    out = isolated_env / "out"
    assert deliver_day(out).status == "sent"
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message.get_content_type() == "multipart/alternative"
    assert sorted(inbox.envelopes[0].rcpt_tos) == ["ana@example.org", "ben@example.org"]
    digest = read_digest(out, DATE)
    top = digest["stories"][0]["headline"]
    assert DATE in message["Subject"] and top[:40] in message["Subject"]
    assert message["Date"] and message["Message-ID"].endswith("@news.example>")
    assert message["List-Unsubscribe"] == "<mailto:unsubscribe@news.example>"
    text, html = parts(message)
    for story in digest["stories"]:
        assert story["headline"] in text
        for source in story["sources"]:
            assert source["title"] in text and source["outlet"] in html
            if source["url"]:
                assert f'href="{source["url"]}"' in html
    assert "宇宙ニュース" in text and "宇宙ニュース" in html  # non-ASCII intact in both parts
    assert 'href="#s1-src1"' in html and 'id="s1-src1"' in html  # citation markers link to the sources
    assert "<script" not in html and "src=" not in html  # no scripts, no external assets


def test_same_date_is_sent_once_unless_forced(inbox: Inbox, isolated_env: Path, use_server: ScriptedOpenAI) -> None:
    out = isolated_env / "out"
    assert deliver_day(out).status == "sent"
    calls = use_server.chat_calls
    assert deliver_day(out).status == "already_sent"
    assert len(inbox.messages) == 1
    assert use_server.chat_calls == calls  # the second run paid for nothing either
    assert main(["send", str(out / DATE), "-q"]) == EXIT_ALREADY_SENT
    assert main(["send", str(out / DATE), "--force", "-q"]) == EXIT_OK
    assert len(inbox.messages) == 2


def test_dry_run_writes_the_exact_message(mail_env: pytest.MonkeyPatch, isolated_env: Path) -> None:
    mail_env.setenv("BRIEFING_EMAIL_PORT", str(free_port()))  # nothing listens: nothing may be sent
    out = isolated_env / "out"
    delivery = deliver_day(out, Send(dry_run=True))
    assert delivery.status == "written"
    eml = out / DATE / "digest.eml"
    assert delivery.path == eml
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert "宇宙ニュース" in parts(message)[0]  # type: ignore[arg-type]


def test_server_down_keeps_the_digest_and_send_retries_without_the_llm(
    mail_env: pytest.MonkeyPatch, isolated_env: Path, use_server: ScriptedOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    mail_env.setenv("BRIEFING_EMAIL_PORT", str(port))
    out = isolated_env / "out"
    delivery = deliver_day(out)
    assert delivery.status == "failed"
    assert "cannot reach the mail server" in delivery.message and f"briefing send {out / DATE}" in delivery.message
    assert (out / DATE / "digest.json").exists()
    assert main(["send", str(out / DATE), "-q"]) == EXIT_DELIVERY  # still down
    assert "cannot reach the mail server" in capsys.readouterr().err
    calls = use_server.chat_calls
    handler = Inbox()
    with smtp_server(handler, port):
        assert main(["send", str(out / DATE), "-q"]) == EXIT_OK
    assert len(handler.messages) == 1 and use_server.chat_calls == calls


def test_crash_between_render_and_send_then_rerun_sends_once(
    mail_env: pytest.MonkeyPatch, inbox: Inbox, isolated_env: Path, use_server: ScriptedOpenAI
) -> None:
    out = isolated_env / "out"

    def crash(*args: object) -> None:
        raise RuntimeError("power cut")

    real_send = briefing.app.send
    mail_env.setattr(briefing.app, "send", crash)
    with pytest.raises(RuntimeError):
        deliver_day(out)
    mail_env.setattr(briefing.app, "send", real_send)
    calls = use_server.chat_calls
    assert deliver_day(out).status == "sent"
    assert deliver_day(out).status == "already_sent"
    assert len(inbox.messages) == 1
    assert use_server.chat_calls == calls  # every answer came from the cache


def test_implicit_tls(mail_env: pytest.MonkeyPatch, isolated_env: Path, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    handler = Inbox()
    with smtp_server(handler, ssl_context=tls_context(cert, key)) as port:
        mail_env.setenv("BRIEFING_EMAIL_PORT", str(port))
        mail_env.setenv("BRIEFING_EMAIL_SECURITY", "ssl")
        mail_env.setenv("BRIEFING_EMAIL_CA_FILE", str(cert))
        assert deliver_day(isolated_env / "out").status == "sent"
    assert len(handler.messages) == 1


def test_connection_dropped_mid_send(mail_env: pytest.MonkeyPatch, isolated_env: Path) -> None:
    with smtp_server(Inbox(drop=True)) as port:
        mail_env.setenv("BRIEFING_EMAIL_PORT", str(port))
        delivery = deliver_day(isolated_env / "out")
    assert delivery.status == "failed"
    assert "closed the connection" in delivery.message
    assert State(Paths.of(load_config()).state).sent(DATE) is None


def test_password_is_refused_in_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text('[email]\npassword = "x"\n')
    with pytest.raises(ConfigError, match="BRIEFING_EMAIL_PASSWORD"):
        load_config(path, env={})
