"""Abstractive summaries: build the story prompt (pure), validate answers (pure), check and re-ask.

The model sees short references (A1, A2, ...) instead of article ids; every citation in its
answer must be one of them, and is mapped back to real ids. URLs in the model's text are
removed: links in the digest come from the sources only.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from briefing.asking import DROPPED, CallStats, ask_validated, clean_model_text, repair_request
from briefing.budget import TokenCounter, fit_texts, prompt_budget, split_sentences
from briefing.entities import extract
from briefing.errors import LLMError, LLMOutputInvalid
from briefing.factcheck import Problem, check_sentence
from briefing.llm.base import ChatBackend, ChatRequest
from briefing.models import Article, Sentence, Story, StorySummary
from briefing.prompts import Prompts
from briefing.safety import one_line

log = logging.getLogger(__name__)

MIN_SENTENCES = 2
MAX_SENTENCES = 6
MAX_OVERVIEW_SENTENCES = 4
MAX_SENTENCE_CHARS = 600
MAX_HEADLINE_CHARS = 200
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)

_SENTENCES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "citations": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["text", "citations"],
    },
}
STORY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"headline": {"type": "string"}, "sentences": _SENTENCES_SCHEMA},
    "required": ["headline", "sentences"],
}
OVERVIEW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"sentences": _SENTENCES_SCHEMA},
    "required": ["sentences"],
}


def article_refs(articles: list[Article]) -> dict[str, str]:
    """Short reference -> article id (A1, A2, ...), in story order."""
    return {f"A{n}": a.id for n, a in enumerate(articles, start=1)}


def build_story_request(
    story: Story,
    prompts: Prompts,
    counter: TokenCounter,
    *,
    context_window: int,
    max_output_tokens: int,
    temperature: float,
    max_articles: int,
) -> tuple[ChatRequest, dict[str, str]]:
    """The chat request for one story, its articles trimmed to fit the context.

    Returns:
        The request and the reference -> article id map used in it.
    """
    articles = story.articles[:max_articles]
    refs = article_refs(articles)

    def render(texts: list[str]) -> tuple[str, str]:
        # The templates escape every value (briefing.prompts); the one-line fields are kept to one
        # line, so a title cannot write a line of its own into the prompt.
        items = [
            {
                "ref": ref,
                "language": one_line(a.language or "und"),
                "outlet": one_line(a.outlet),
                "title": one_line(a.title),
                "published": a.published.date().isoformat() if a.published else "",
                "text": text,
            }
            for (ref, a), text in zip(zip(refs, articles, strict=True), texts, strict=True)
        ]
        system = prompts.render("system.j2")
        user = prompts.render(
            "story.j2",
            articles=items,
            languages=story.languages,
            min_sentences=MIN_SENTENCES,
            max_sentences=MAX_SENTENCES,
        )
        return system, user

    system, skeleton = render([""] * len(articles))
    fixed = counter.count(system) + counter.count(skeleton) + 8 * len(articles)
    budget = prompt_budget(context_window, max_output_tokens, fixed)
    texts = fit_texts([a.text for a in articles], budget, counter)
    system, user = render(texts)
    request = ChatRequest(
        messages=(("system", system), ("user", user)),
        temperature=temperature,
        max_tokens=max_output_tokens,
        json_schema=STORY_SCHEMA,
        schema_name="story_summary",
    )
    return request, refs


def _load_json(text: str) -> dict[str, Any]:
    stripped = _FENCE.sub("", text.strip())
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        start, end = stripped.find("{"), stripped.rfind("}")
        if start < 0 or end <= start:
            raise LLMOutputInvalid("the answer is not JSON") from None
        try:
            data = json.loads(stripped[start : end + 1])
        except json.JSONDecodeError as exc:
            raise LLMOutputInvalid(f"the answer is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise LLMOutputInvalid("the answer is JSON but not an object")
    return data


def parse_sentences(data: dict[str, Any], refs: dict[str, str]) -> list[Sentence]:
    """Validate the 'sentences' of an answer and map citations back to real ids.

    Raises:
        LLMOutputInvalid: naming the first problem found.
    """
    raw = data.get("sentences")
    if not isinstance(raw, list) or not raw:
        raise LLMOutputInvalid("'sentences' is missing or empty")
    real_ids = set(refs.values())
    sentences: list[Sentence] = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise LLMOutputInvalid(f"sentence {number} has no 'text'")
        text = clean_model_text(item["text"], MAX_SENTENCE_CHARS)
        if not text:
            continue
        cited = item.get("citations")
        if not isinstance(cited, list) or not cited:
            raise LLMOutputInvalid(f"sentence {number} cites no source")
        ids: list[str] = []
        for ref in cited:
            ref_text = str(ref).strip().strip("[]")
            # Accept the short reference, or a real id the model copied from elsewhere.
            resolved = refs.get(ref_text.upper()) or (ref_text if ref_text in real_ids else None)
            if resolved is None:
                raise LLMOutputInvalid(f"sentence {number} cites '{ref_text}', which is not one of the given ids")
            if resolved not in ids:
                ids.append(resolved)
        sentences.append(Sentence(text=text, citations=ids))
    if not sentences:
        raise LLMOutputInvalid("every sentence is empty")
    return sentences


def parse_story_answer(text: str, refs: dict[str, str]) -> StorySummary:
    """Validate a story answer.

    Raises:
        LLMOutputInvalid: bad JSON, no headline, uncited sentences or unknown ids.
    """
    data = _load_json(text)
    headline = data.get("headline")
    if not isinstance(headline, str) or not clean_model_text(headline, MAX_HEADLINE_CHARS):
        raise LLMOutputInvalid("'headline' is missing")
    return StorySummary(
        headline=clean_model_text(headline, MAX_HEADLINE_CHARS),
        sentences=parse_sentences(data, refs)[: MAX_SENTENCES + 2],
    )


# Problems a sentence can be checked for against a whole article; rise/fall and "not" need the
# article's sentence that states the same fact, found by shared names and figures.
ARTICLE_LEVEL = frozenset(["number", "calendar", "unit", "name", "untranslated", "commentary", "garbled"])
MIN_SHARED_KEYS = 1


def problems_against(text: str, article: Article) -> list[Problem]:
    """Why an English sentence is not supported by an article (empty when it is)."""
    body = f"{article.title}\n{article.text}"
    problems = [p for p in check_sentence(text, body, article.language) if p.kind in ARTICLE_LEVEL]
    keys = extract(text)
    best, shared = "", 0
    for sentence in split_sentences(article.text):
        overlap = len(keys & extract(sentence))
        if overlap > shared:
            best, shared = sentence, overlap
    if shared >= MIN_SHARED_KEYS:
        problems += [p for p in check_sentence(text, best, article.language) if p.kind in ("direction", "negation")]
    return [p for p in problems if not p.omission]


def check_summary(summary: StorySummary, story: Story) -> dict[int, list[Problem]]:
    """Check each sentence against the articles it cites; citations that do not support it go.

    Returns:
        sentence index -> problems, for the sentences that no cited article supports.
    """
    by_id = {a.id: a for a in story.members()}
    failing: dict[int, list[Problem]] = {}
    for index, sentence in enumerate(summary.sentences):
        verdicts = {c: problems_against(sentence.text, by_id[c]) for c in sentence.citations if c in by_id}
        supported = [c for c, problems in verdicts.items() if not problems]
        if supported:
            sentence.citations = supported
        else:
            failing[index] = next(iter(verdicts.values()), [Problem("citation", "it cites no article of the story")])
    return failing


def check_problem_text(summary: StorySummary, failing: dict[int, list[Problem]]) -> str:
    """The re-ask's statement of what disagrees with the sources, sentence by sentence."""
    return "; ".join(
        f"sentence {i + 1} ('{summary.sentences[i].text[:80]}') disagrees with its sources: "
        + ", ".join(map(str, problems))
        for i, problems in failing.items()
    )


def answer_json(summary: StorySummary, refs: dict[str, str]) -> str:
    """A validated summary written back as the model's JSON answer (for a re-ask's history)."""
    back = {article_id: ref for ref, article_id in refs.items()}
    sentences = [{"text": s.text, "citations": [back.get(c, c) for c in s.citations]} for s in summary.sentences]
    return json.dumps({"headline": summary.headline, "sentences": sentences}, ensure_ascii=False)


def ask_checked(
    backend: ChatBackend,
    request: ChatRequest,
    refs: dict[str, str],
    story: Story,
    prompts: Prompts,
    max_reasks: int,
    stats: CallStats,
) -> tuple[StorySummary, list[str]]:
    """A story summary whose every sentence its cited articles support.

    Sentences that disagree with their sources are re-asked once, with the problems stated;
    those still disagreeing are left out and reported.

    Returns:
        The summary and one note per sentence left out.

    Raises:
        LLMOutputInvalid: when no sentence agrees with its sources.
        LLMError: when the endpoint fails.
    """
    summary: StorySummary = ask_validated(backend, request, refs, parse_story_answer, prompts, max_reasks, stats)
    failing = check_summary(summary, story)
    passed = len(summary.sentences) - len(failing)
    stats.checks.checked += len(summary.sentences)
    stats.checks.passed += passed
    if not failing:
        return summary, []
    stats.reasks += 1
    repair = repair_request(request, answer_json(summary, refs), check_problem_text(summary, failing), refs, prompts, 1)
    final, final_failing = summary, failing
    try:
        second: StorySummary = ask_validated(backend, repair, refs, parse_story_answer, prompts, 0, stats)
        second_failing = check_summary(second, story)
        if len(second.sentences) - len(second_failing) > passed:
            final, final_failing = second, second_failing
    except LLMError as exc:  # a re-ask that fails (or is refused by the cost cap) keeps the first answer
        log.debug("the re-asked summary failed: %s", exc)
    kept = [s for i, s in enumerate(final.sentences) if i not in final_failing]
    repaired = max(0, len(kept) - passed)
    stats.checks.repaired += repaired
    stats.checks.dropped += max(0, len(failing) - repaired)
    notes = [
        f"{DROPPED}: '{final.sentences[i].text[:80]}': " + ", ".join(map(str, problems))
        for i, problems in final_failing.items()
    ]
    if not kept:
        raise LLMOutputInvalid("no sentence agrees with its sources: " + "; ".join(notes))
    return StorySummary(headline=final.headline, sentences=kept, key_facts=final.key_facts), notes


def build_overview_request(
    stories: list[tuple[str, StorySummary]],
    prompts: Prompts,
    temperature: float,
    max_output_tokens: int,
) -> tuple[ChatRequest, dict[str, str]]:
    """The chat request for the opening overview; stories are referenced as S1, S2, ..."""
    refs = {f"S{n}": story_id for n, (story_id, _) in enumerate(stories, start=1)}
    items = [
        {
            "ref": ref,
            "headline": one_line(summary.headline),
            "summary": " ".join(s.text for s in summary.sentences),
        }
        for ref, (_, summary) in zip(refs, stories, strict=True)
    ]
    user = prompts.render("overview.j2", stories=items, max_sentences=MAX_OVERVIEW_SENTENCES)
    request = ChatRequest(
        messages=(("system", prompts.render("system.j2")), ("user", user)),
        temperature=temperature,
        max_tokens=max_output_tokens,
        json_schema=OVERVIEW_SCHEMA,
        schema_name="overview",
    )
    return request, refs


def parse_overview_answer(text: str, refs: dict[str, str]) -> list[Sentence]:
    """Validate an overview answer; citations are story ids."""
    return parse_sentences(_load_json(text), refs)[: MAX_OVERVIEW_SENTENCES + 1]


def fallback_overview(stories: list[tuple[str, StorySummary]]) -> list[Sentence]:
    """An overview made without the LLM: the top headlines, each citing its story."""
    if not stories:
        return [Sentence(text="No story could be summarized today.", citations=[])]
    return [Sentence(text=f"{summary.headline}.", citations=[story_id]) for story_id, summary in stories[:3]]
