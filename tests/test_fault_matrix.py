"""The fault matrix: every fault and hostile input in tests/data/fault_matrix.json, run through
`briefing run` against the real scripted OpenAI server.

Besides what each case expects (exit code, report entries, an error message), every case must
hold the same promises: a digest exists unless the case is a usage error (and then nothing was
overwritten), every input is accounted for in the report, no output format links anywhere but
to the sources' own pages, and no line of the text formats was forged by a field's line breaks.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from briefing.cli import main
from tests.support.data import CORPUS, DATA
from tests.support.openai_server import Reply, ScriptedOpenAI
from tests.support.smtp import Inbox, smtp_server

MATRIX = json.loads((DATA / "fault_matrix.json").read_text(encoding="utf-8"))
CASES = {case["name"]: case for case in MATRIX["cases"]}
DATE = "2026-11-23"
FORMATS = ("digest.md", "digest.html", "digest.txt", "digest.json")
# What a reader sees; digest.json is data and keeps each input's fields as they came.
SHOWN = FORMATS[:3]
LINK = re.compile(r"""(?:https?|ftp|javascript|data):[^\s<>"'()\[\]]*|www\.[^\s<>"'()\[\]]+""", re.IGNORECASE)
SENTINEL = '{"written by": "an earlier run"}\n'


def reply_of(spec: dict[str, Any]) -> Reply:
    """A scripted reply from its description in the matrix."""
    return Reply(**spec)


def write_inputs(folder: Path, files: dict[str, dict[str, Any]]) -> None:
    """The case's input files: text in an encoding, raw bytes, or a deeply nested JSON document."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, spec in files.items():
        path = folder / name
        if "bytes_hex" in spec:
            path.write_bytes(bytes.fromhex(spec["bytes_hex"]))
        elif "nested_json" in spec:
            depth = int(spec["nested_json"])
            path.write_text("[" * depth + "]" * depth, encoding="utf-8")
        elif "symlink" in spec:
            path.symlink_to(spec["symlink"])
        else:
            path.write_bytes(str(spec["text"]).encode(spec.get("encoding", "utf-8")))


def broken_sqlite(path: Path) -> None:
    """A SQLite file with a valid header whose later pages are garbage."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, blob BLOB)")
    db.executemany("INSERT INTO filler (blob) VALUES (?)", [(os.urandom(900),) for _ in range(200)])
    db.commit()
    db.close()
    data = bytearray(path.read_bytes())
    rng = random.Random(7)
    for offset in range(4096 * 2, len(data), 4096):  # every page after the first two
        data[offset : offset + 200] = bytes(rng.randrange(256) for _ in range(200))
    path.write_bytes(bytes(data))


@contextmanager
def damaged(path: Path, fault: str) -> Iterator[None]:
    """The cache or state file made faulty for the duration of the run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fault == "random":
        path.write_bytes(random.Random(3).randbytes(64 * 1024))
    elif fault == "broken_pages":
        broken_sqlite(path)
    if fault != "locked":
        yield
        return
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE IF NOT EXISTS held (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def input_links(case: dict[str, Any], inputs: Path) -> set[str]:
    """Every URL the inputs themselves hold: the only links an output may contain."""
    texts = [CORPUS.joinpath("articles.jsonl").read_text(encoding="utf-8")] if case.get("corpus") else []
    texts += [p.read_text(encoding="utf-8", errors="replace") for p in inputs.rglob("*") if p.is_file()]
    return {m.group(0).rstrip(".,;") for text in texts for m in LINK.finditer(text)}


def foreign_links(folder: Path, allowed: set[str]) -> list[str]:
    """Links in a format a reader sees that are not one of the inputs' own URLs."""
    found = []
    for name in SHOWN:
        text = (folder / name).read_text(encoding="utf-8")
        for match in LINK.finditer(text.replace("&amp;", "&")):
            link = match.group(0).rstrip(".,;")
            if not any(link == url or (link.startswith(url) and url.startswith("http")) for url in allowed):
                found.append(f"{name}: {link}")
    return found


def check_report(digest: dict[str, Any], expected: list[dict[str, str]]) -> None:
    report = digest["report"]
    for entry in expected:
        if "failure" in entry:
            texts = [f["error"] for f in report["failures"]]
            pattern = entry["failure"]
        elif "warning" in entry:
            texts = [w["note"] for w in report["warnings"]]
            pattern = entry["warning"]
        elif "flag" in entry:
            texts = [flag for r in report["articles"] for flag in r["flags"]]
            pattern = entry["flag"]
        else:
            texts = [r["reason"] or "" for r in report["articles"] if r["status"] == entry["status"]]
            pattern = entry["reason"]
        assert any(re.search(pattern, t, re.IGNORECASE | re.DOTALL) for t in texts), (pattern, texts)


def run(sources: list[str], out: Path, *extra: str) -> int:
    return main(["run", *sources, "--out", str(out), "--date", DATE, "-q", *extra])


@contextmanager
def mail_server(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox | None]:
    """The case's SMTP server, and the settings that send the digest to it; nothing without `email`."""
    if "email" not in case:
        yield None
        return
    inbox = Inbox(**case["email"])
    with smtp_server(inbox) as port:
        for key, value in {
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "SECURITY": "plain",
            "TO": "desk@example.org",
        }.items():
            monkeypatch.setenv(f"BRIEFING_EMAIL_{key}", value)
        yield inbox


@pytest.mark.parametrize("name", list(CASES))
def test_fault(
    name: str,
    use_server: ScriptedOpenAI,
    isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    fast_retries: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = CASES[name]
    for key, value in case.get("env", {}).items():
        monkeypatch.setenv(key, value)
    inputs = isolated_env / "inputs"
    write_inputs(inputs, case.get("files", {}))
    sources = ([str(CORPUS)] if case.get("corpus") else []) + ([str(inputs)] if case.get("files") else [])
    sources += case.get("sources", [])
    if "config_toml" in case:
        (isolated_env / "briefing.toml").write_text(case["config_toml"], encoding="utf-8")
    out = isolated_env / "out"
    (out / DATE).mkdir(parents=True)
    (out / DATE / "digest.json").write_text(SENTINEL, encoding="utf-8")
    if "llm" in case:
        use_server.always = reply_of(case["llm"])
    use_server.script(*(reply_of(r) for r in case.get("llm_first", [])))

    started = time.monotonic()
    fault = case.get("cache")
    with mail_server(case, monkeypatch) as inbox:
        send = ["--send"] if inbox is not None else []
        if fault:
            with damaged(isolated_env / "cache" / fault["file"], fault["fault"]):
                code = run(sources, out, *send)
        else:
            code = run(sources, out, *send)
        if inbox is not None:
            assert len(inbox.messages) == case["emails_received"]
            if "resend_exit" in case:  # what the run's message suggests must not send a second copy
                assert main(["send", str(out / DATE), "-q"]) in case["resend_exit"]
                assert len(inbox.messages) == case["emails_after_resend"]
    seconds = time.monotonic() - started
    err = capsys.readouterr().err

    assert code in case["exit"], (code, err)
    assert seconds < case.get("max_seconds", 60), seconds
    if "stderr" in case:
        assert re.search(case["stderr"], err, re.IGNORECASE | re.DOTALL), err
    for pattern in case.get("stderr_forbidden", []):
        assert not re.search(pattern, err), err
    sent = "\n".join(m["content"] for r in use_server.requests for m in r["messages"])
    for pattern in case.get("prompt_forbidden", []):
        assert not re.search(pattern, sent), pattern
    assert "Traceback" not in err
    if "llm_requests_at_most" in case:
        assert use_server.chat_calls <= case["llm_requests_at_most"]
    written = (out / DATE / "digest.json").read_text(encoding="utf-8")
    if not case["digest"]:
        assert written == SENTINEL  # a usage error overwrites nothing
        return
    digest = json.loads(written)
    check_report(digest, case.get("report", []))
    assert len(digest["report"]["articles"]) >= case.get("inputs", 0)
    llm = digest["report"]["llm"]
    assert llm["calls"] >= case.get("llm_calls_at_least", 0)
    assert llm["retries"] >= case.get("llm_retries_at_least", 0)
    assert foreign_links(out / DATE, input_links(case, inputs)) == []
    for pattern in case.get("forbidden", []):
        for name_ in SHOWN:
            assert not re.search(pattern, (out / DATE / name_).read_text(encoding="utf-8"), re.MULTILINE), name_

    if case.get("healthy_rerun_ok"):
        use_server.always = None
        assert run(sources, out) == 0, capsys.readouterr().err
        again = json.loads((out / DATE / "digest.json").read_text(encoding="utf-8"))
        assert all(s["status"] == "ok" for s in again["stories"])
