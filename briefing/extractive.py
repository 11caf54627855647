"""Extract-then-translate summaries, for small local models.

A small model asked to summarize several foreign-language articles at once copies text and
misplaces citations. Here it is asked for less: the story's most central, non-redundant
sentences are picked without the model (language-independent evidence: multilingual
embeddings where the language is known, shared names and figures everywhere), each is
translated to English with a short prompt, and a headline is written from the English
sentences. Every sentence cites the article it came from, so citations are true by
construction. Sentences already in English are not sent to the model.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np

from briefing.budget import split_sentences
from briefing.config import SummaryConfig
from briefing.embed import Embedder
from briefing.entities import extract
from briefing.errors import LLMOutputInvalid
from briefing.language import detect
from briefing.llm.base import ChatBackend, ChatRequest
from briefing.models import Article, Sentence, Story, StorySummary
from briefing.prompts import Prompts
from briefing.summarize import CallStats, call_backend, clean_model_text, defuse

log = logging.getLogger(__name__)

POSITION_DECAY = 0.25
REDUNDANCY_PENALTY = 0.6
MAX_REDUNDANCY = 0.7
# Two English sentences this close say the same thing: keep one, citing both articles.
SAME_FACT = 0.75
ENGLISH_BONUS = 0.05
WEIGHTS = {"support": 0.5, "position": 0.3, "information": 0.2}
TRANSLATE_MAX_TOKENS = 320
HEADLINE_MAX_TOKENS = 40
MAX_HEADLINE_WORDS = 16
CONFIDENT = 0.9
LANGUAGE_NAMES = {
    "ar": "Arabic", "da": "Danish", "de": "German", "el": "Greek", "en": "English", "es": "Spanish",
    "et": "Estonian", "fi": "Finnish", "fr": "French", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "nl": "Dutch",
    "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish",
    "tr": "Turkish", "uk": "Ukrainian", "zh": "Chinese",
}  # fmt: skip
_PREFIX = re.compile(r"^(?:english(?: translation)?|translation|headline|title)\s*:\s*", re.IGNORECASE)
_PREAMBLE = re.compile(r"\btranslat(?:es|ed|ion)\b.*\b(?:to|into|as|is)\b\W*$", re.IGNORECASE)
_QUOTED_AFTER = re.compile(r"\b(?:to|as|is)\b[^\"“]*[\"“]([^\"”]+)[\"”]?\s*\.?$", re.IGNORECASE)
_QUOTES = "\"'“”‘’«»„「」*#` "


@dataclass
class Candidate:
    """A sentence that may go into the summary."""

    article: Article
    position: int
    text: str
    keys: set[str]


def candidates(story: Story, config: SummaryConfig, max_articles: int) -> list[Candidate]:
    """Sentences of the story's articles that are long enough to say something and not questions."""
    found = []
    for article in story.articles[:max_articles]:
        for position, sentence in enumerate(split_sentences(article.text)):
            if not config.min_sentence_chars <= len(sentence) <= config.max_sentence_chars:
                continue
            if sentence.endswith("?") or sum(ch.isalpha() for ch in sentence) < len(sentence) * 0.5:
                continue
            found.append(Candidate(article, position, sentence, extract(sentence)))
    return found


def _key_overlap(a: set[str], b: set[str]) -> float:
    common = len(a & b)
    return common / min(len(a), len(b)) if common else 0.0


def similarity_matrix(cands: list[Candidate], embedder: Embedder) -> np.ndarray:
    """Pairwise sentence similarity: embedding cosine where both languages are known, else shared keys."""
    n = len(cands)
    embeddable = np.array([(c.article.language or "") in embedder.languages for c in cands], dtype=bool)
    vectors = np.zeros((n, 1), dtype=np.float32)
    if embeddable.any():
        encoded = embedder.encode([c.text for c, ok in zip(cands, embeddable, strict=True) if ok])
        vectors = np.zeros((n, encoded.shape[1]), dtype=np.float32)
        vectors[embeddable] = encoded
    cosine = np.clip(vectors @ vectors.T, 0.0, 1.0) * np.outer(embeddable, embeddable)
    keys = np.array([[_key_overlap(a.keys, b.keys) for b in cands] for a in cands]) if n else np.zeros((0, 0))
    return np.asarray(np.maximum(cosine, keys))


def select(cands: list[Candidate], count: int, embedder: Embedder) -> list[Candidate]:
    """The most central sentences, avoiding repeats (maximal marginal relevance).

    Centrality is support from the story's other articles (a fact several outlets report), or,
    for a one-article story, from the article's other sentences; early sentences and sentences
    with names and figures are preferred.
    """
    if not cands:
        return []
    sim = similarity_matrix(cands, embedder)
    articles = [c.article.id for c in cands]
    relevance = []
    for i, cand in enumerate(cands):
        others = sorted({a for a in articles if a != cand.article.id})
        if others:
            support = float(np.mean([max(sim[i, j] for j, a in enumerate(articles) if a == o) for o in others]))
        else:
            peers = [sim[i, j] for j in range(len(cands)) if j != i]
            support = float(np.mean(peers)) if peers else 0.0
        position = 1.0 / (1.0 + POSITION_DECAY * cand.position)
        information = min(len(cand.keys), 5) / 5
        score = WEIGHTS["support"] * support + WEIGHTS["position"] * position + WEIGHTS["information"] * information
        relevance.append(score + (ENGLISH_BONUS if cand.article.language == "en" else 0.0))
    chosen: list[int] = []
    while len(chosen) < min(count, len(cands)):
        best, best_value = -1, -np.inf
        for i in range(len(cands)):
            if i in chosen:
                continue
            redundancy = max((sim[i, j] for j in chosen), default=0.0)
            if redundancy > MAX_REDUNDANCY:
                continue
            value = relevance[i] - REDUNDANCY_PENALTY * redundancy
            if value > best_value:
                best, best_value = i, value
        if best < 0:
            break
        chosen.append(best)
    # Read like a news story: earlier sentences (leads) first, then by centrality.
    return [cands[i] for i in sorted(chosen, key=lambda i: (cands[i].position, chosen.index(i)))]


def language_name(code: str | None) -> str:
    """'fi' -> 'Finnish'."""
    return LANGUAGE_NAMES.get(code or "", code or "unknown-language")


def translation_request(cand: Candidate, prompts: Prompts, attempt: int) -> ChatRequest:
    """A short prompt asking for one sentence in English; stricter and warmer on a retry."""
    user = prompts.render(
        "translate.j2", language=language_name(cand.article.language), sentence=defuse(cand.text), strict=attempt > 0
    )
    return ChatRequest(
        messages=(("system", prompts.render("translate_system.j2")), ("user", user)),
        temperature=0.0 if attempt == 0 else 0.3,
        max_tokens=TRANSLATE_MAX_TOKENS,
    )


def _first_line(text: str) -> str:
    """The answer's first line of content, skipping a preamble ("The sentence ... translates to:")."""
    lines = [_PREFIX.sub("", line.strip()).strip(_QUOTES) for line in text.strip().splitlines()]
    lines = [line for line in lines if line]
    for number, line in enumerate(lines):
        quoted = _QUOTED_AFTER.search(line) if "translat" in line.lower() else None
        if quoted:
            return quoted.group(1).strip()
        preamble = line.endswith(":") or _PREAMBLE.search(line) is not None
        if preamble and number + 1 < len(lines):
            continue
        return "" if preamble else line
    return ""


def _fold(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def check_translation(cand: Candidate, answer: str) -> str:
    """The model's translation, if it is an English rendering of the sentence.

    Raises:
        LLMOutputInvalid: empty, copied, in the source language, or rambling.
    """
    text = clean_model_text(_first_line(answer), 4 * len(cand.text) + 200)
    if not text:
        raise LLMOutputInvalid("empty translation")
    if _fold(text) == _fold(cand.text):
        raise LLMOutputInvalid("the model copied the sentence instead of translating it")
    if len(text) > 3 * len(cand.text) + 60:
        raise LLMOutputInvalid("the translation is far longer than the sentence")
    code, prob = detect(text)
    if code != "en" and ((code == cand.article.language and prob >= 0.5) or prob >= CONFIDENT):
        raise LLMOutputInvalid(f"the model answered in {language_name(code)}, not English")
    return text


def headline_request(sentences: list[str], prompts: Prompts, attempt: int = 0) -> ChatRequest:
    """A short prompt for a headline written from the English sentences; stricter on a retry."""
    user = prompts.render("headline.j2", sentences=[defuse(s) for s in sentences], strict=attempt > 0)
    return ChatRequest(
        messages=(("system", prompts.render("translate_system.j2")), ("user", user)),
        temperature=0.0 if attempt == 0 else 0.3,
        max_tokens=HEADLINE_MAX_TOKENS,
    )


def check_headline(answer: str) -> str:
    """A usable English headline from the model's answer.

    Raises:
        LLMOutputInvalid: empty, too long or not English.
    """
    text = clean_model_text(_first_line(answer), 200).rstrip(".")
    if not text:
        raise LLMOutputInvalid("empty headline")
    if len(text.split()) > MAX_HEADLINE_WORDS:
        raise LLMOutputInvalid("the headline is too long")
    code, prob = detect(text)
    if code != "en" and prob >= CONFIDENT:
        raise LLMOutputInvalid(f"the headline is in {language_name(code)}")
    return text


def fallback_headline(story: Story, sentences: list[str]) -> str:
    """A headline needing no model: an English source's own title, else the first sentence, shortened."""
    for article in story.articles:
        if article.language == "en" and article.title:
            return article.title
    words = sentences[0].rstrip(".").split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


def merge_repeats(sentences: list[Sentence], embedder: Embedder) -> list[Sentence]:
    """Fold English sentences that state the same fact into the first, which then cites both sources."""
    if len(sentences) < 2 or "en" not in embedder.languages:
        return sentences
    vectors = embedder.encode([s.text for s in sentences])
    kept: list[int] = []
    for i, sentence in enumerate(sentences):
        twin = next((k for k in kept if float(vectors[i] @ vectors[k]) >= SAME_FACT), None)
        if twin is None:
            kept.append(i)
            continue
        for article_id in sentence.citations:
            if article_id not in sentences[twin].citations:
                sentences[twin].citations.append(article_id)
    return [sentences[k] for k in kept]


def summarize_extractive(
    story: Story,
    backend: ChatBackend,
    prompts: Prompts,
    config: SummaryConfig,
    embedder: Embedder,
    max_articles: int,
    stats: CallStats,
) -> tuple[StorySummary, list[str]]:
    """Summarize a story by picking and translating sentences.

    Returns:
        The summary and the problems met (sentences dropped because no English translation came
        back, a headline that fell back); the caller reports them.

    Raises:
        LLMOutputInvalid: when no sentence could be put into English.
        LLMError: when the backend fails.
    """
    picked = select(candidates(story, config, max_articles), config.sentences, embedder)
    if not picked:
        raise LLMOutputInvalid("no sentence in the story's articles is long enough to quote")
    problems: list[str] = []
    sentences: list[Sentence] = []
    for cand in picked:
        if cand.article.language == "en":
            sentences.append(Sentence(text=cand.text, citations=[cand.article.id]))
            continue
        last = ""
        for attempt in range(config.translate_attempts):
            answer = call_backend(backend, translation_request(cand, prompts, attempt), stats)
            try:
                sentences.append(Sentence(text=check_translation(cand, answer), citations=[cand.article.id]))
                break
            except LLMOutputInvalid as exc:
                log.debug("translation of a sentence of %s refused (attempt %d): %s", cand.article.id, attempt + 1, exc)
                stats.reasks += 1 if attempt + 1 < config.translate_attempts else 0
                last = str(exc)
        else:
            problems.append(f"a sentence of {cand.article.id} was left out: {last}")
    if not sentences:
        raise LLMOutputInvalid("no sentence could be translated into English: " + "; ".join(problems))
    sentences = merge_repeats(sentences, embedder)
    english = [s.text for s in sentences]
    headline = ""
    for attempt in range(2):
        try:
            headline = check_headline(call_backend(backend, headline_request(english, prompts, attempt), stats))
            break
        except LLMOutputInvalid as exc:
            last = str(exc)
    if not headline:
        problems.append(f"headline taken from the sources: the model's was refused ({last})")
        headline = fallback_headline(story, english)
    return StorySummary(headline=headline, sentences=sentences), problems
