"""Order stories by importance: distinct outlets and languages, size, recency."""

from __future__ import annotations

import math
from datetime import datetime

from briefing.models import Story

OUTLET_WEIGHT = 3.0
LANGUAGE_WEIGHT = 2.0
SIZE_WEIGHT = 1.0
RECENCY_WEIGHT = 2.0
RECENCY_HALF_LIFE_HOURS = 24.0


def importance(story: Story, newest: datetime | None) -> float:
    """A story's score; higher is more important."""
    size = len(story.articles) + sum(len(v) for v in story.duplicates.values())
    score = (
        OUTLET_WEIGHT * len(story.outlets) + LANGUAGE_WEIGHT * len(story.languages) + SIZE_WEIGHT * math.log2(1 + size)
    )
    last = story.last_seen()
    if newest is not None and last is not None:
        age_hours = max((newest - last).total_seconds() / 3600, 0.0)
        score += RECENCY_WEIGHT * 0.5 ** (age_hours / RECENCY_HALF_LIFE_HOURS)
    return round(score, 4)


def rank_stories(stories: list[Story]) -> list[Story]:
    """Score every story and return them best first (ties broken by id, so order is stable)."""
    dates = [d for s in stories if (d := s.last_seen()) is not None]
    newest = max(dates) if dates else None
    for story in stories:
        story.score = importance(story, newest)
    return sorted(stories, key=lambda s: (-s.score, s.id))
