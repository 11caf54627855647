"""Where the test data lives, and reading it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"
CORPUS = DATA / "corpus"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "articles"
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def load_json(name: str) -> Any:
    """A JSON file of tests/data (cases and expectations)."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def read_digest(out: Path, date: str) -> dict[str, Any]:
    """The digest.json of a run."""
    data: dict[str, Any] = json.loads((out / date / "digest.json").read_text(encoding="utf-8"))
    return data
