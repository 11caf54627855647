"""Email delivery and daily runs against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import briefing.app
from briefing.cli import EXIT_ALREADY_SENT, EXIT_DELIVERY, EXIT_OK, EXIT_USAGE, main
from briefing.config import load_config
from briefing.errors import ConfigError
from briefing.paths import Paths
from briefing.store import State
from tests.conftest import CORPUS, read_digest
from tests.openai_server import ScriptedOpenAI

DATE = "2026-11-23"
USER, PASSWORD = "digest-bot", "s3cret-Ünïcode-pw"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps what it receives; can drop the connection instead."""

    def __init__(self, drop: bool = False) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.drop = drop

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop:
            server.transport.close()
            return "421 closing"
        self.envelopes.append(envelope)
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed; TLS tests need it to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def start(handler: Inbox, **kwargs: Any) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    controller = start(handler)
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def mail_env(use_server: ScriptedOpenAI, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("BRIEFING_EMAIL_TO", "ana@example.org,ben@example.org")
    monkeypatch.setenv("BRIEFING_EMAIL_SENDER", "briefing@news.example")
    monkeypatch.setenv("BRIEFING_EMAIL_SECURITY", "plain")
    monkeypatch.setenv("BRIEFING_EMAIL_UNSUBSCRIBE", "mailto:unsubscribe@news.example")
    return monkeypatch


def run_send(out: Path, *extra: str) -> int:
    return main(["run", str(CORPUS), "--out", str(out), "--date", DATE, "-q", *extra])


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_digest_arrives_with_both_parts_headers_links_and_every_source(
    mail_env: pytest.MonkeyPatch, inbox: tuple[Inbox, int], isolated_env: Path
) -> None:
    handler, port = inbox
    mail_env.setenv("BRIEFING_EMAIL_PORT", str(port))
    out = isolated_env / "out"
    assert run_send(out, "--send") == EXIT_OK
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert message.get_content_type() == "multipart/alternative"
    assert sorted(handler.envelopes[0].rcpt_tos) == ["ana@example.org", "ben@example.org"]
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


def test_same_date_is_sent_once_unless_forced(
    mail_env: pytest.MonkeyPatch, inbox: tuple[Inbox, int], isolated_env: Path, use_server: ScriptedOpenAI
) -> None:
    handler, port = inbox
    mail_env.setenv("BRIEFING_EMAIL_PORT", str(port))
    out = isolated_env / "out"
    assert run_send(out, "--send") == EXIT_OK
    calls = use_server.chat_calls
    assert run_send(out, "--send") == EXIT_ALREADY_SENT
    assert len(handler.messages) == 1
    assert use_server.chat_calls == calls  # the second run paid for nothing either
    assert main(["send", str(out / DATE), "-q"]) == EXIT_ALREADY_SENT
    assert main(["send", str(out / DATE), "--force", "-q"]) == EXIT_OK
    assert len(handler.messages) == 2


def test_dry_run_writes_the_exact_message(mail_env: pytest.MonkeyPatch, isolated_env: Path) -> None:
    mail_env.setenv("BRIEFING_EMAIL_PORT", str(free_port()))  # nothing listens: nothing may be sent
    out = isolated_env / "out"
    assert run_send(out, "--dry-run") == EXIT_OK
    eml = out / DATE / "digest.eml"
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert "宇宙ニュース" in parts(message)[0]  # type: ignore[arg-type]


def test_server_down_keeps_the_digest_and_send_retries_without_the_llm(
    mail_env: pytest.MonkeyPatch, isolated_env: Path, use_server: ScriptedOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    mail_env.setenv("BRIEFING_EMAIL_PORT", str(port))
    out = isolated_env / "out"
    assert run_send(out, "--send") == EXIT_DELIVERY
    err = capsys.readouterr().err
    assert "cannot reach the mail server" in err and f"briefing send {out / DATE}" in err
    assert (out / DATE / "digest.json").exists()
    calls = use_server.chat_calls
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert main(["send", str(out / DATE), "-q"]) == EXIT_OK
    finally:
        controller.stop()
    assert len(handler.messages) == 1 and use_server.chat_calls == calls


def test_crash_between_render_and_send_then_rerun_sends_once(
    mail_env: pytest.MonkeyPatch, inbox: tuple[Inbox, int], isolated_env: Path, use_server: ScriptedOpenAI
) -> None:
    handler, port = inbox
    mail_env.setenv("BRIEFING_EMAIL_PORT", str(port))
    out = isolated_env / "out"

    def crash(*args: object) -> None:
        raise RuntimeError("power cut")

    real_send = briefing.app.send
    mail_env.setattr(briefing.app, "send", crash)
    with pytest.raises(RuntimeError):
        run_send(out, "--send")
    mail_env.setattr(briefing.app, "send", real_send)
    calls = use_server.chat_calls
    assert run_send(out, "--send") == EXIT_OK
    assert run_send(out, "--send") == EXIT_ALREADY_SENT
    assert len(handler.messages) == 1
    assert use_server.chat_calls == calls  # every answer came from the cache


def test_starttls_with_login(
    mail_env: pytest.MonkeyPatch, isolated_env: Path, certificate: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Inbox()
    controller = start(
        handler, tls_context=context, require_starttls=True, authenticator=authenticator, auth_required=True
    )
    try:
        for name, value in {
            "PORT": str(controller.port), "SECURITY": "starttls", "CA_FILE": str(cert),
            "USERNAME": USER, "PASSWORD": PASSWORD,
        }.items():  # fmt: skip
            mail_env.setenv(f"BRIEFING_EMAIL_{name}", value)
        assert main(["run", str(CORPUS), "--out", str(isolated_env / "out"), "--date", DATE, "-v", "--send"]) == EXIT_OK
        assert len(handler.messages) == 1
        mail_env.setenv("BRIEFING_EMAIL_PASSWORD", "wrong")
        mail_env.setenv("BRIEFING_EMAIL_TIMEOUT_SECONDS", "3")  # this server stalls after a refused login
        assert main(["send", str(isolated_env / "out" / DATE), "--force", "-q"]) == EXIT_DELIVERY
    finally:
        controller.stop()
    captured = capsys.readouterr()
    assert "refused the login" in captured.err
    assert PASSWORD not in captured.err + captured.out  # never logged, even with --verbose


def test_implicit_tls(mail_env: pytest.MonkeyPatch, isolated_env: Path, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Inbox()
    controller = start(handler, ssl_context=context)
    try:
        mail_env.setenv("BRIEFING_EMAIL_PORT", str(controller.port))
        mail_env.setenv("BRIEFING_EMAIL_SECURITY", "ssl")
        mail_env.setenv("BRIEFING_EMAIL_CA_FILE", str(cert))
        assert run_send(isolated_env / "out", "--send") == EXIT_OK
    finally:
        controller.stop()
    assert len(handler.messages) == 1


def test_connection_dropped_mid_send(
    mail_env: pytest.MonkeyPatch, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    controller = start(Inbox(drop=True))
    try:
        mail_env.setenv("BRIEFING_EMAIL_PORT", str(controller.port))
        assert run_send(isolated_env / "out", "--send") == EXIT_DELIVERY
    finally:
        controller.stop()
    assert "closed the connection" in capsys.readouterr().err
    assert State(Paths.of(load_config()).state).sent(DATE) is None


def test_a_second_run_waits_its_turn(
    mail_env: pytest.MonkeyPatch, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = State(Paths.of(load_config()).state)
    with state.locked():
        assert run_send(isolated_env / "out", "--send") == 1
    assert "another briefing run is in progress" in capsys.readouterr().err


def test_since_reports_only_news_and_marks_updates(use_server: ScriptedOpenAI, isolated_env: Path) -> None:
    first, second = isolated_env / "day1", isolated_env / "day2"
    first.mkdir()
    second.mkdir()
    lines = (CORPUS / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    by_id = {line.split('"id": "')[1].split('"')[0]: line for line in lines if line.startswith('{"id": "')}
    (first / "a.jsonl").write_text("\n".join(by_id[i] for i in ("strike-en", "strike-nl", "rates-en")) + "\n")
    (second / "a.jsonl").write_text(
        "\n".join(by_id[i] for i in ("strike-en", "strike-nl", "strike-de", "rates-en")) + "\n"
    )
    out = isolated_env / "out"
    assert main(["run", str(first), "--out", str(out), "--date", "2026-11-22", "-q", "--since", "last"]) == EXIT_OK
    assert main(["run", str(second), "--out", str(out), "--date", DATE, "-q", "--since", "last"]) == EXIT_OK
    digest = read_digest(out, DATE)
    assert len(digest["stories"]) == 1
    story = digest["stories"][0]
    assert story["update_of"] == "2026-11-22"
    assert {s["article_id"] for s in story["sources"]} == {"strike-en", "strike-nl", "strike-de"}
    records = {r["id"]: r for r in digest["report"]["articles"]}
    assert records["rates-en"]["status"] == "rejected" and "already reported" in records["rates-en"]["reason"]
    assert "update: first reported 2026-11-22" in (out / DATE / "digest.md").read_text()


def test_password_is_refused_in_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text('[email]\npassword = "x"\n')
    with pytest.raises(ConfigError, match="BRIEFING_EMAIL_PASSWORD"):
        load_config(path, env={})


def test_send_needs_recipients(use_server: ScriptedOpenAI, isolated_env: Path) -> None:
    assert run_send(isolated_env / "out", "--send") == EXIT_USAGE
