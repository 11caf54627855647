"""What an install brings: HTML inputs need lxml's HTML cleaner, named directly so no pip can miss it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def dependency_names() -> set[str]:
    project = tomllib.loads(PYPROJECT.read_text("utf-8"))["project"]
    return {re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].lower().replace("-", "_") for spec in project["dependencies"]}


def test_the_html_cleaner_is_a_direct_dependency() -> None:
    # An older pip drops an extra that a dependency asks for (justext wants lxml[html_clean]).
    assert "lxml_html_clean" in dependency_names()


def test_the_html_cleaner_is_installed_and_trafilatura_reads_html() -> None:
    import lxml.html.clean  # noqa: F401 - raises ImportError when lxml_html_clean is missing
    import trafilatura

    html = "<html><body><article><p>" + "Der Stadtrat hat den Haushalt am Dienstag beschlossen. " * 5
    text = trafilatura.extract(html + "</p></article></body></html>")
    assert text is not None and "Haushalt" in text
