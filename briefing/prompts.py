"""Prompt templates: jinja2 files rendered strictly, packaged, overridable from a user folder.

Every value a template prints passes through `escape_data` (the environment's `finalize`), the way
autoescape protects HTML: article text, titles, outlets and model text can then neither open nor close
the tags that delimit data in a prompt (<article>, <story>, <sentence>), nor end a double-quoted
attribute value. The templates' own text is not touched. Write attribute values in double quotes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from briefing.errors import ConfigError

TEMPLATE_SUFFIX = ".j2"
REQUIRED = ("system.j2", "story.j2", "overview.j2", "repair.j2", "translate_system.j2", "translate.j2", "headline.j2")
# Angle brackets (and their fullwidth and small forms, which a model reads alike) become the single
# angle quotes: data then holds no tag, whatever its spacing or case ("< /article>", "</ARTICLE >").
_BRACKETS = str.maketrans(dict.fromkeys("<\uff1c\ufe64", "\u2039") | dict.fromkeys(">\uff1e\ufe65", "\u203a"))
# A double quote becomes a typographic one, opening after a space or bracket, else closing: the text
# reads the same, and no value can end an attribute.
_OPENING_QUOTE = re.compile(r'(?:^|(?<=[\s(\[{\u2039\u00ab]))["\uff02]')
_QUOTE = re.compile('["\uff02]')


def escape_data(value: Any) -> str:
    """A value printed into a prompt, as data: no tag can open or close in it, no attribute end."""
    text = str(value).translate(_BRACKETS)
    return _QUOTE.sub("\u201d", _OPENING_QUOTE.sub("\u201c", text))


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
            finalize=escape_data,
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
