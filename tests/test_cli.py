"""The command line end to end: exit codes, what it prints, and its flags reaching the run.

These are the only tests that run `briefing run` whole (five runs: a complete digest, the
`python -m briefing` process with a config file, a failing endpoint, an email sent over
STARTTLS, and --since). The rest of the suite calls briefing.app and the modules directly.
The other tests here stop before any work: the usage errors and what they say.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import briefing.llm
from briefing.cli import EXIT_DELIVERY, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, main
from briefing.config import load_config
from briefing.paths import Paths
from briefing.store import State
from tests.support.data import CORPUS, read_digest
from tests.support.expect import CORPUS_EXPECTED, check_corpus_digest
from tests.support.openai_server import Reply, ScriptedOpenAI
from tests.support.runs import DATE, run_day
from tests.support.smtp import PASSWORD, USER, Inbox, authenticator, smtp_server, tls_context


def run_cli(out: Path, *extra: str) -> int:
    return main(["run", str(CORPUS), "--out", str(out), "--date", DATE, "--quiet", *extra])


def test_valid_answers_make_a_complete_digest(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli(out) == EXIT_OK
    digest = read_digest(out, DATE)
    assert digest["date"] == DATE
    assert [sorted(a["article_id"] for a in s["sources"] if not a["duplicate_of"]) for s in digest["stories"]] == [
        sorted(c) for c in CORPUS_EXPECTED["clusters"]
    ]
    top = digest["stories"][0]
    assert top["status"] == "ok"
    assert {s["outlet"] for s in top["sources"]} == {
        "Harbour Post",
        "Wire Digest",
        "Dagblad Haven",
        "Nordsee Kurier",
    }
    for story in digest["stories"]:
        source_ids = {s["article_id"] for s in story["sources"]}
        for sentence in story["sentences"]:
            assert sentence["citations"] and set(sentence["citations"]) <= source_ids
    assert digest["overview"]
    assert digest["report"]["llm"]["calls"] == 4  # three stories and the overview
    assert digest["report"]["llm"]["prompt_tokens"] > 0
    check_corpus_digest(digest)
    for name in ("digest.md", "digest.html", "digest.txt"):
        assert (out / DATE / name).stat().st_size > 0
    markdown = (out / DATE / "digest.md").read_text()
    assert "[1]" in markdown and "https://harbourpost.example/rotterdam-strike" in markdown
    # Article text reaches the model inside the data delimiters.
    user = use_server.requests[0]["messages"][1]["content"]
    assert '<article id="A1"' in user and "</article>" in user


def test_subprocess_python_m_briefing_with_a_config_file(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    # Sources and the output folder come from the config file; -v lists each article's flags.
    # --mode extractive (the default only for the embedded model) picks and translates sentences.
    lyon = tmp_path / "day.jsonl"
    body = "The city council of Lyon approved a plan on Tuesday to plant 12,000 trees by 2030, the mayor said."
    lyon.write_text(json.dumps({"id": "lyon", "title": "Lyon trees", "text": body, "published": "soon"}) + "\n")
    out = tmp_path / "out"
    config = tmp_path / "briefing.toml"
    config.write_text(f'[input]\nsources = ["{CORPUS}", "{lyon}"]\n[digest]\nout_dir = "{out}"\n')
    command = ["run", "--config", str(config), "--date", DATE, "--format", "md,json", "--mode", "extractive", "-v"]
    proc = subprocess.run(
        [sys.executable, "-m", "briefing", *command],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "summarizing stories: 4/4" in proc.stderr  # plain progress lines when not a terminal
    assert proc.stdout.strip().splitlines() == [
        str(out / DATE / "digest.md"),
        str(out / DATE / "digest.json"),
    ]
    digest = read_digest(out, DATE)
    assert len(digest["stories"]) == 4  # the corpus's three, and Lyon's
    assert digest["report"]["llm"]["mode"] == "extractive"
    records = {r["id"]: r for r in digest["report"]["articles"]}
    assert any("unparseable date" in f for f in records["lyon"]["flags"])
    assert "flagged lyon: unparseable date 'soon' ignored" in proc.stderr


def test_endpoint_that_keeps_failing_gives_unavailable_stories(
    use_server: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFING_LLM_MAX_ATTEMPTS", "2")
    use_server.script(*[Reply(status=500) for _ in range(100)])
    out = tmp_path / "out"
    assert run_cli(out) == EXIT_PARTIAL
    digest = read_digest(out, DATE)
    assert {s["status"] for s in digest["stories"]} == {"unavailable"}
    assert all(s["sources"] for s in digest["stories"])
    # No story summarized means no overview call: the overview says so plainly.
    assert len(digest["report"]["failures"]) == len(digest["stories"])
    assert digest["overview"] == "No story could be summarized today."
    assert "HTTP 500" in digest["stories"][0]["error"]
    check_corpus_digest(digest)
    assert "Summary unavailable" in (out / DATE / "digest.md").read_text()


def test_send_over_starttls_with_login_never_shows_the_password(
    mail_env: pytest.MonkeyPatch, isolated_env: Path, certificate: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cert, key = certificate
    handler = Inbox()
    tls = {"tls_context": tls_context(cert, key), "require_starttls": True}
    with smtp_server(handler, **tls, authenticator=authenticator, auth_required=True) as port:
        for name, value in {
            "PORT": str(port), "SECURITY": "starttls", "CA_FILE": str(cert), "USERNAME": USER, "PASSWORD": PASSWORD,
        }.items():  # fmt: skip
            mail_env.setenv(f"BRIEFING_EMAIL_{name}", value)
        assert main(["run", str(CORPUS), "--out", str(isolated_env / "out"), "--date", DATE, "-v", "--send"]) == EXIT_OK
        assert len(handler.messages) == 1
        mail_env.setenv("BRIEFING_EMAIL_PASSWORD", "wrong")
        mail_env.setenv("BRIEFING_EMAIL_TIMEOUT_SECONDS", "1")  # this server stalls after a refused login
        assert main(["send", str(isolated_env / "out" / DATE), "--force", "-q"]) == EXIT_DELIVERY
    captured = capsys.readouterr()
    assert "refused the login" in captured.err
    assert PASSWORD not in captured.err + captured.out  # never logged, even with --verbose


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
    assert run_day([first], out, date="2026-11-22", since="last").status == "ok"
    assert main(["run", str(second), "--out", str(out), "--date", DATE, "-q", "--since", "last"]) == EXIT_OK
    digest = read_digest(out, DATE)
    assert len(digest["stories"]) == 1
    story = digest["stories"][0]
    assert story["update_of"] == "2026-11-22"
    assert {s["article_id"] for s in story["sources"]} == {"strike-en", "strike-nl", "strike-de"}
    records = {r["id"]: r for r in digest["report"]["articles"]}
    assert records["rates-en"]["status"] == "rejected" and "already reported" in records["rates-en"]["reason"]
    assert "update: first reported 2026-11-22" in (out / DATE / "digest.md").read_text()


# Stopped before any work, with what to do.


def test_no_llm_configured_stops_with_the_fix(
    isolated_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(briefing.llm, "local_available", lambda config: False)  # as without the [local] extra
    assert main(["run", str(CORPUS), "--out", str(isolated_env / "out"), "--quiet"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "OPENAI_API_KEY" in err and "BRIEFING_LLM_BASE_URL" in err and "[local]" in err
    assert not (isolated_env / "out").exists()


def test_no_sources_anywhere_is_a_usage_error(use_server: ScriptedOpenAI, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "-q"]) == EXIT_USAGE
    assert "input.sources" in capsys.readouterr().err


def test_send_needs_recipients(use_server: ScriptedOpenAI, isolated_env: Path) -> None:
    assert main(["run", str(CORPUS), "--out", str(isolated_env / "out"), "--date", DATE, "-q", "--send"]) == EXIT_USAGE


def test_a_second_run_waits_its_turn(
    mail_env: pytest.MonkeyPatch, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = State(Paths.of(load_config()).state)
    with state.locked():
        assert main(["run", str(CORPUS), "--out", str(isolated_env / "out"), "--date", DATE, "-q", "--send"]) == 1
    assert "another briefing run is in progress" in capsys.readouterr().err
