"""The real CLI against a real local HTTP server speaking the OpenAI API, scripted per test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefing.cli import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, main
from tests.conftest import CORPUS, DATA, read_digest
from tests.openai_server import Reply, ScriptedOpenAI

DATE = "2026-11-23"
EXPECTED = json.loads((DATA / "corpus_expected.json").read_text())
INPUT_IDS = {
    "strike-en",
    "strike-nl",
    "strike-de",
    "strike-en-copy",
    "rates-fi",
    "rates-en",
    "rover-ja",
    "articles-8",
    "empty-one",
}


def run_cli(out: Path, *extra: str) -> int:
    return main(["run", str(CORPUS), "--out", str(out), "--date", DATE, "--quiet", *extra])


def assert_accounts_for_everything(digest: dict) -> None:  # type: ignore[type-arg]
    records = {r["id"]: r for r in digest["report"]["articles"]}
    assert set(records) == INPUT_IDS
    assert records["strike-en-copy"]["status"] == "duplicate"
    assert records["strike-en-copy"]["duplicate_of"] == "strike-en"
    for rejected in EXPECTED["rejected"]:
        assert records[rejected]["status"] == "rejected" and records[rejected]["reason"]
    story_ids = {s["id"] for s in digest["stories"]}
    for record in records.values():
        if record["status"] == "used":
            assert record["story_id"] in story_ids


def test_valid_answers_make_a_complete_digest(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli(out) == EXIT_OK
    digest = read_digest(out, DATE)
    assert digest["date"] == DATE
    assert [sorted(a["article_id"] for a in s["sources"] if not a["duplicate_of"]) for s in digest["stories"]] == [
        sorted(c) for c in EXPECTED["clusters"]
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
    assert_accounts_for_everything(digest)
    for name in ("digest.md", "digest.html", "digest.txt"):
        assert (out / DATE / name).stat().st_size > 0
    markdown = (out / DATE / "digest.md").read_text()
    assert "[1]" in markdown and "https://harbourpost.example/rotterdam-strike" in markdown
    # Article text reaches the model inside the data delimiters.
    user = use_server.requests[0]["messages"][1]["content"]
    assert '<article id="A1"' in user and "</article>" in user


def test_second_identical_run_makes_no_llm_call(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli(out) == EXIT_OK
    first = use_server.chat_calls
    assert run_cli(out) == EXIT_OK
    assert use_server.chat_calls == first
    llm = read_digest(out, DATE)["report"]["llm"]
    assert llm["calls"] == 0 and llm["cache_hits"] == 4


def test_429_with_retry_after_is_honoured(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.script(
        Reply(status=429, headers={"retry-after": "1"}),
        Reply(status=429, headers={"retry-after": "1"}),
    )
    out = tmp_path / "out"
    assert run_cli(out, "--format", "json") == EXIT_OK
    digest = read_digest(out, DATE)
    assert digest["report"]["llm"]["retries"] == 2
    assert all(s["status"] == "ok" for s in digest["stories"])
    assert_accounts_for_everything(digest)


def test_server_errors_are_retried(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.script(Reply(status=500), Reply(status=503), Reply(status=502))
    out = tmp_path / "out"
    assert run_cli(out, "--format", "json") == EXIT_OK
    digest = read_digest(out, DATE)
    assert digest["report"]["llm"]["retries"] == 3
    assert_accounts_for_everything(digest)


def test_dropped_connection_is_retried(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.script(Reply(drop=True), Reply(drop=True))
    out = tmp_path / "out"
    assert run_cli(out, "--format", "json") == EXIT_OK
    digest = read_digest(out, DATE)
    assert digest["report"]["llm"]["retries"] == 2
    assert_accounts_for_everything(digest)


def test_timeout_is_retried(use_server: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFING_LLM_TIMEOUT_SECONDS", "0.5")
    use_server.script(Reply(delay=1.5))
    out = tmp_path / "out"
    assert run_cli(out, "--format", "json") == EXIT_OK
    digest = read_digest(out, DATE)
    assert digest["report"]["llm"]["retries"] >= 1
    assert_accounts_for_everything(digest)


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
    assert_accounts_for_everything(digest)
    assert "Summary unavailable" in (out / DATE / "digest.md").read_text()


def test_invalid_json_is_reasked_then_reported(
    use_server: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFING_LLM_CONCURRENCY", "1")
    monkeypatch.setenv("BRIEFING_LLM_MAX_REASKS", "1")
    use_server.script(Reply(content="Sure! Here is your summary: it was a strike."), Reply(content="{not json"))
    out = tmp_path / "out"
    assert run_cli(out, "--format", "json") == EXIT_PARTIAL
    digest = read_digest(out, DATE)
    failed = [s for s in digest["stories"] if s["status"] == "unavailable"]
    assert len(failed) == 1
    assert "failed validation" in failed[0]["error"] and "JSON" in failed[0]["error"]
    assert digest["report"]["llm"]["reasks"] == 1
    assert_accounts_for_everything(digest)


def test_unknown_citation_triggers_a_reask_that_fixes_it(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    bad = json.dumps({"headline": "Strike", "sentences": [{"text": "Ports closed.", "citations": ["A9"]}]})
    use_server.script(Reply(content=bad))
    out = tmp_path / "out"
    assert run_cli(out, "--format", "json") == EXIT_OK
    digest = read_digest(out, DATE)
    assert digest["report"]["llm"]["reasks"] == 1
    assert_accounts_for_everything(digest)
    reask = next(r for r in use_server.requests if len(r["messages"]) > 2)
    assert "A9" in reask["messages"][-1]["content"]


def test_repeated_bad_answers_are_not_replayed_from_the_cache(
    use_server: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFING_LLM_CONCURRENCY", "1")
    bad = json.dumps({"headline": "Strike", "sentences": [{"text": "Ports closed.", "citations": ["A9"]}]})
    use_server.script(Reply(content=bad), Reply(content=bad), Reply(content=bad))
    out = tmp_path / "out"
    assert run_cli(out, "--format", "json") == EXIT_PARTIAL
    llm = read_digest(out, DATE)["report"]["llm"]
    assert llm["cache_hits"] == 0 and llm["reasks"] == 2
    temperatures = [r["temperature"] for r in use_server.requests[:3]]
    assert temperatures == sorted(set(temperatures))


def test_model_links_never_reach_the_digest(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    use_server.transform = lambda content: content.replace(
        "Reports cover", "See https://evil.example/x and [click](http://evil.example) on"
    )
    out = tmp_path / "out"
    assert run_cli(out) == EXIT_OK
    for name in ("digest.md", "digest.html", "digest.txt", "digest.json"):
        assert "evil.example" not in (out / DATE / name).read_text()


def test_no_llm_configured_stops_with_the_fix(
    isolated_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import briefing.llm

    monkeypatch.setattr(briefing.llm, "local_available", lambda config: False)  # as without the [local] extra
    assert main(["run", str(CORPUS), "--out", str(isolated_env / "out"), "--quiet"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "OPENAI_API_KEY" in err and "BRIEFING_LLM_BASE_URL" in err and "[local]" in err
    assert not (isolated_env / "out").exists()


def test_subprocess_python_m_briefing(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "briefing",
            "run",
            str(CORPUS),
            "--out",
            str(out),
            "--date",
            DATE,
            "--format",
            "md,json",
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "summarizing stories: 3/3" in proc.stderr  # plain progress lines when not a terminal
    assert proc.stdout.strip().splitlines() == [
        str(out / DATE / "digest.md"),
        str(out / DATE / "digest.json"),
    ]


def test_endpoint_without_json_schema_support_gets_json_object_mode(
    use_server: ScriptedOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFING_LLM_CONCURRENCY", "1")
    # llama.cpp's server answers an unsupported response_format with HTTP 500 and a validation message.
    refusal = json.dumps({"error": {"message": "body.response_format.type: Input should be 'text' or 'json_object'"}})
    use_server.script(Reply(status=500, body=refusal))
    out = tmp_path / "out"
    assert run_cli(out, "--format", "json") == EXIT_OK
    assert use_server.requests[0]["response_format"]["type"] == "json_schema"
    assert {r["response_format"]["type"] for r in use_server.requests[1:]} == {"json_object"}
    assert_accounts_for_everything(read_digest(out, DATE))


def test_sources_come_from_the_config_when_none_are_given(use_server: ScriptedOpenAI, tmp_path: Path) -> None:
    config = tmp_path / "briefing.toml"
    config.write_text(f'[input]\nsources = ["{CORPUS}"]\n[digest]\nout_dir = "{tmp_path / "out"}"\n')
    assert main(["run", "--config", str(config), "--date", DATE, "-q"]) == EXIT_OK
    assert len(read_digest(tmp_path / "out", DATE)["stories"]) == 3


def test_no_sources_anywhere_is_a_usage_error(use_server: ScriptedOpenAI, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "-q"]) == EXIT_USAGE
    assert "input.sources" in capsys.readouterr().err


def test_article_flags_reach_digest_json_and_verbose_output(
    use_server: ScriptedOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "day.jsonl"
    body = "The city council of Lyon approved a plan on Tuesday to plant 12,000 trees by 2030, the mayor said."
    source.write_text(json.dumps({"id": "lyon", "title": "Lyon trees", "text": body, "published": "soon"}) + "\n")
    out = tmp_path / "out"
    assert main(["run", str(source), "--out", str(out), "--date", DATE, "-v"]) == EXIT_OK
    records = read_digest(out, DATE)["report"]["articles"]
    assert records[0]["id"] == "lyon" and any("unparseable date" in f for f in records[0]["flags"])
    assert "flagged lyon: unparseable date 'soon' ignored" in capsys.readouterr().err
