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


# A short Italian report (a layoff and a strike) whose translations tests check fact by fact.
ACME_IT = """---
title: Acme licenzia a Torino
source: Cronaca Subalpina
language: it
url: https://cronaca.example/acme
---
L'azienda Acme ha licenziato 173 dipendenti nello stabilimento di Torino lunedì mattina.

Il sindacato Fiom ha indetto uno sciopero di otto ore per venerdì prossimo davanti ai cancelli.
"""
