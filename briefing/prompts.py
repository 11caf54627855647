"""Prompt templates: jinja2 files rendered strictly, packaged, overridable from a user folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from briefing.errors import ConfigError

TEMPLATE_SUFFIX = ".j2"
REQUIRED = ("system.j2", "story.j2", "overview.j2", "repair.j2", "translate_system.j2", "translate.j2", "headline.j2")


def packaged_prompts_dir() -> Path:
    """The templates shipped with briefing: inside the wheel, or the repository's prompts/."""
    inside = Path(__file__).parent / "_prompts"
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parent.parent / "prompts"


@dataclass(frozen=True)
class TemplateInfo:
    """Where a template in use comes from."""

    name: str
    path: Path
    origin: str


class Prompts:
    """Renders the prompt templates; a user folder's file wins over the packaged one."""

    def __init__(self, user_dir: Path | None = None) -> None:
        if user_dir is not None and not user_dir.is_dir():
            raise ConfigError(f"paths.prompts_dir: {user_dir} is not a folder; create it or unset the setting")
        self.user_dir = user_dir
        self.packaged_dir = packaged_prompts_dir()
        search = [str(d) for d in (user_dir, self.packaged_dir) if d is not None]
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(search),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        missing = [n for n in REQUIRED if not self._locate(n)]
        if missing:
            raise ConfigError(f"prompt templates missing: {', '.join(missing)} (looked in {', '.join(search)})")

    def _locate(self, name: str) -> TemplateInfo | None:
        if self.user_dir is not None and (self.user_dir / name).is_file():
            return TemplateInfo(name, self.user_dir / name, "user folder")
        if (self.packaged_dir / name).is_file():
            return TemplateInfo(name, self.packaged_dir / name, "packaged")
        return None

    def render(self, name: str, **context: Any) -> str:
        """Render one template; a missing variable is an error, not a blank."""
        try:
            return self.env.get_template(name).render(**context).strip()
        except jinja2.UndefinedError as exc:
            raise ConfigError(f"prompt template {name}: {exc.message}") from None
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(f"prompt template {name} line {exc.lineno}: {exc.message}") from None

    @cache  # noqa: B019 - one Prompts per run; the file is read once
    def data(self, name: str) -> dict[str, Any]:
        """A JSON file of prompt material (worked examples) from the same folders as the templates.

        Raises:
            ConfigError: when the file is missing or is not a JSON object.
        """
        info = self._locate(name)
        if info is None:
            raise ConfigError(f"prompt data {name} is missing (looked in {self.user_dir or ''} {self.packaged_dir})")
        try:
            loaded = json.loads(info.path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"prompt data {info.path}: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"prompt data {info.path}: expected a JSON object")
        return loaded

    def templates(self) -> list[TemplateInfo]:
        """Every template in use, with the file that provides it."""
        names = set(REQUIRED)
        for folder in (self.user_dir, self.packaged_dir):
            if folder is not None:
                names.update(p.name for p in folder.glob(f"*{TEMPLATE_SUFFIX}"))
        return [info for n in sorted(names) if (info := self._locate(n))]
