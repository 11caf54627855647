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
from functools import partial

import numpy as np

from briefing.asking import DROPPED, CallStats, ask, ask_sure, clean_model_text
from briefing.budget import split_sentences
from briefing.clean import balance_quotes, sentence_furniture, strip_inline_label
from briefing.config import SummaryConfig
from briefing.embed import Embedder
from briefing.entities import extract
from briefing.errors import LLMOutputInvalid
from briefing.factcheck import Problem, check_sentence, english_notation, keep_terms
from briefing.language import detect
from briefing.llm.base import ChatBackend, ChatRequest
from briefing.models import Article, Sentence, Story, StorySummary
from briefing.prompts import Prompts

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
# A title of a source in another language is taken as English from this detector probability on:
# on the 252 titles of four words or more in ../shared/eval, it took 67 of the 106 English ones and
# no title in another language.
ENGLISH_TITLE = 0.7
# Two sentences in different articles this close (cross-lingual cosine or shared names and
# figures) state the same fact, when the fact check also finds nothing that disagrees.
ALIGN = 0.6
# Problems that make another article's sentence not a statement of the same fact.
HARD_PROBLEMS = frozenset(["number", "calendar", "unit", "direction", "negation"])
# Share of a headline's content words that must appear in the checked sentences. All of them:
# at 0.7 a strict reader still found 12 of 26 headlines claiming what no sentence says; at 1.0
# half of those are refused (and fall back to a source title or the lead sentence).
HEADLINE_SUPPORT = 1.0
EXAMPLES_FILE = "translate_examples.json"
# What the embedded default model (Qwen2.5-Coder-1.5B) translates usably. Ten bilingual readings
# of 564 of its translations of real news (README, "Quality to expect"): German 37% faithful or
# minor, Spanish 45%, French 53%, and 13 of 17, 18 of 20, 10 of 12 of those the confidence gate
# keeps; Polish 21%, Turkish 8%, Arabic 3%. Italian and Portuguese were read less (3 translations)
# but ride with Spanish and French.
EMBEDDED_TRANSLATES = ("de", "es", "fr", "it", "pt")
# The embedded default model's translations whose tokens it gave a geometric-mean probability below
# this are left out. Chosen by cross-validation over ten bilingual readings of 564 of its
# translations (README, "Quality to expect"): leaving each reading out in turn, the lowest threshold
# whose kept translations in the default languages were at least 85% faithful or minor on the other
# nine came out at 0.828 to 0.836, and kept 40 of 46 good on the readings left out (85% +- 32 per
# reading); on all ten the rule gives 0.831. The same rule on the first six gave 0.82, which kept
# 49 of 63 good over all ten (78%); the earlier 0.77 (chosen on the first 40) kept 91 of 138 (66%).
EMBEDDED_MIN_CONFIDENCE = 0.83
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
        for position, raw in enumerate(split_sentences(article.text)):
            if sentence_furniture(raw):
                continue
            sentence = balance_quotes(strip_inline_label(raw))
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


def select(cands: list[Candidate], count: int, sim: np.ndarray) -> list[int]:
    """The most central sentences, avoiding repeats (maximal marginal relevance).

    Centrality is support from the story's other articles (a fact several outlets report), or,
    for a one-article story, from the article's other sentences; early sentences and sentences
    with names and figures are preferred.
    """
    if not cands:
        return []
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
    return sorted(chosen, key=lambda i: (cands[i].position, chosen.index(i)))


def language_name(code: str | None) -> str:
    """'fi' -> 'Finnish'."""
    return LANGUAGE_NAMES.get(code or "", code or "unknown-language")


def translation_request(
    cand: Candidate, prompts: Prompts, attempt: int, problems: list[Problem] | None = None, confidence: bool = False
) -> ChatRequest:
    """A literal-translation prompt for one sentence, after a worked example in its language.

    The sentence's figures and names are listed as must-keep terms. A re-ask states what was
    wrong (the fact check's problems) or, on `attempt` > 0 without problems, that the answer was
    not English. Decoding is greedy: the most literal reading, and reproducible. `confidence`:
    ask the backend how sure the model was (ChatResult.confidence).
    """
    language = cand.article.language or ""
    system = prompts.render("translate_system.j2")
    messages: list[tuple[str, str]] = [("system", system)]
    example = prompts.data(EXAMPLES_FILE).get(language)
    if isinstance(example, dict):
        shown = prompts.render(
            "translate.j2",
            language=language_name(language),
            sentence=example["sentence"],
            keep=example.get("keep", []),
            problems=[],
            strict=False,
        )
        messages += [("user", shown), ("assistant", example["english"])]
    user = prompts.render(
        "translate.j2",
        language=language_name(language),
        sentence=cand.text,
        keep=keep_terms(cand.text, language),
        problems=[str(p) for p in problems or []],
        strict=attempt > 0 and not problems,
    )
    messages.append(("user", user))
    # Room for a translation a little longer than the sentence, not for rambling on; a blank
    # line ends the answer (a one-line translation never has one).
    room = min(TRANSLATE_MAX_TOKENS, len(cand.text) // 2 + 40)
    return ChatRequest(
        messages=tuple(messages), temperature=0.0, max_tokens=room, stop=("\n\n",), confidence=confidence
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
    text = english_notation(clean_model_text(_first_line(answer), 4 * len(cand.text) + 200))
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
    user = prompts.render("headline.j2", sentences=sentences, strict=attempt > 0)
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
    """A headline needing no model: an English source's own title (or an English title another
    language's source gave itself), else the first sentence, shortened."""
    for article in story.articles:
        if article.language == "en" and article.title:
            return article.title
    for article in story.articles:
        # Lower-cased: the detector reads Title Case poorly. Titles of fewer words are not judged.
        code, prob = detect(article.title.lower()) if len(article.title.split()) >= 4 else ("", 0.0)
        if code == "en" and prob >= ENGLISH_TITLE:
            return article.title
    words = sentences[0].rstrip(".").split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


@dataclass
class Drafted:
    """A digest sentence with the candidate it came from (for finding its other supporters)."""

    sentence: Sentence
    origin: int


def merge_repeats(drafts: list[Drafted], embedder: Embedder) -> list[Drafted]:
    """Fold English sentences that state the same fact into the first, which then cites both sources."""
    if len(drafts) < 2 or "en" not in embedder.languages:
        return drafts
    vectors = embedder.encode([d.sentence.text for d in drafts])
    kept: list[int] = []
    for i, draft in enumerate(drafts):
        twin = next((k for k in kept if float(vectors[i] @ vectors[k]) >= SAME_FACT), None)
        if twin is None:
            kept.append(i)
            continue
        for article_id in draft.sentence.citations:
            if article_id not in drafts[twin].sentence.citations:
                drafts[twin].sentence.citations.append(article_id)
    return [drafts[k] for k in kept]


def english_twin(index: int, cands: list[Candidate], sim: np.ndarray) -> int | None:
    """An English candidate stating the same fact as a foreign one: quoted instead of translated."""
    cand = cands[index]
    best, best_value = None, ALIGN
    for j, other in enumerate(cands):
        if other.article.language != "en" or other.article.id == cand.article.id or sim[index, j] < best_value:
            continue
        if not _disagrees(other.text, cand):
            best, best_value = j, float(sim[index, j])
    return best


def translatable(language: str | None, allowed: tuple[str, ...] | None) -> bool:
    """Whether the model may translate sentences of this language."""
    return allowed is None or (language or "") in allowed


def _disagrees(english: str, cand: Candidate) -> bool:
    return any(p.kind in HARD_PROBLEMS for p in check_sentence(english, cand.text, cand.article.language))


def translate_checked(
    cand: Candidate,
    backend: ChatBackend,
    prompts: Prompts,
    config: SummaryConfig,
    stats: CallStats,
    min_confidence: float | None = None,
) -> tuple[Translated | None, str]:
    """The candidate in English, checked against it: (translation, "passed" | "repaired") or (None, why not).

    An answer that is not English is asked again (up to summary.translate_attempts); an English
    answer that disagrees with the source is asked again once with the problems stated, and
    left out if it still disagrees. With `min_confidence`, an answer the model was less sure of
    (ChatResult.confidence) is left out too: no re-ask, as greedy decoding would say the same.
    """
    english: Translated | None = None
    why = ""
    sure = min_confidence is not None
    for attempt in range(config.translate_attempts):
        try:
            request = translation_request(cand, prompts, attempt, confidence=sure)
            english = Translated(*ask_sure(backend, request, stats, partial(check_translation, cand)))
            break
        except LLMOutputInvalid as exc:
            log.debug("translation of a sentence of %s refused (attempt %d): %s", cand.article.id, attempt + 1, exc)
            stats.reasks += 1 if attempt + 1 < config.translate_attempts else 0
            why = str(exc)
    if english is None:
        return None, why
    problems = check_sentence(english.text, cand.text, cand.article.language)
    if not problems:
        return _confident(english, min_confidence, "passed")
    log.debug("translation of a sentence of %s disagrees with it: %s", cand.article.id, problems)
    stats.reasks += 1
    try:
        request = translation_request(cand, prompts, 1, problems, confidence=sure)
        repaired = Translated(*ask_sure(backend, request, stats, partial(check_translation, cand)))
    except LLMOutputInvalid as exc:
        return None, f"{'; '.join(map(str, problems))}; the re-asked answer: {exc}"
    still = check_sentence(repaired.text, cand.text, cand.article.language)
    if still:
        return None, "; ".join(map(str, still))
    return _confident(repaired, min_confidence, "repaired")


@dataclass(frozen=True)
class Translated:
    """A checked translation and how sure the model was of it (None: not measured)."""

    text: str
    confidence: float | None


def _confident(found: Translated, min_confidence: float | None, outcome: str) -> tuple[Translated | None, str]:
    """The translation and its outcome, or None and why when the model was too unsure of it."""
    if min_confidence is None or found.confidence is None or found.confidence >= min_confidence:
        return found, outcome
    return None, (
        f"the model was unsure of its translation (token probability {found.confidence:.2f}, "
        f"below summary.min_translation_confidence {min_confidence:.2f})"
    )


def add_supporters(drafts: list[Drafted], cands: list[Candidate], sim: np.ndarray) -> None:
    """Cite every article with a sentence that states a drafted sentence's fact.

    The English sentence must agree with the supporter; so must its origin when that is English
    too. A translation's origin is not compared (the checker reads its left side as English, and
    would read "Plus de 600" as a bare 600); the translation was checked against it already.
    """
    for draft in drafts:
        origin = cands[draft.origin]
        for j, other in enumerate(cands):
            if other.article.id in draft.sentence.citations or sim[draft.origin, j] < ALIGN:
                continue
            if _disagrees(draft.sentence.text, other):
                continue
            if origin.article.language == "en" and _disagrees(origin.text, other):
                continue
            draft.sentence.citations.append(other.article.id)


def pick(
    cands: list[Candidate], sim: np.ndarray, count: int, allowed: tuple[str, ...] | None
) -> tuple[list[int], dict[int, int | None]]:
    """The candidates to say (quotable or translatable ones only), and each one's English twin.

    Raises:
        LLMOutputInvalid: when nothing can be said in English, with why.
    """
    twins = {i: english_twin(i, cands, sim) if c.article.language != "en" else i for i, c in enumerate(cands)}
    # Every sentence supports citations; only those quotable or translatable may be picked.
    eligible = [i for i, c in enumerate(cands) if twins[i] is not None or translatable(c.article.language, allowed)]
    picked = [eligible[k] for k in select([cands[i] for i in eligible], count, sim[np.ix_(eligible, eligible)])]
    if not picked:
        untranslated = sorted({language_name(c.article.language) for c in cands} - {"English"})
        if cands and untranslated:
            raise LLMOutputInvalid(
                f"no English article, and the model is not trusted to translate {', '.join(untranslated)}: "
                "set summary.translate_languages, or use a bigger model (llm.model_path) or an endpoint"
            )
        raise LLMOutputInvalid("no sentence in the story's articles is long enough to quote")
    return picked, twins


def draft(
    picked: list[int],
    twins: dict[int, int | None],
    cands: list[Candidate],
    backend: ChatBackend,
    prompts: Prompts,
    config: SummaryConfig,
    stats: CallStats,
    min_confidence: float | None = None,
) -> tuple[list[Drafted], list[str]]:
    """Each picked sentence in English: its English twin quoted, or translated and checked
    (and left out when the model was less sure of it than `min_confidence`).

    Returns:
        The drafts, and a note for each sentence left out.
    """
    problems: list[str] = []
    drafts: list[Drafted] = []
    for index in picked:
        cand = cands[index]
        stats.checks.checked += 1
        twin = twins[index]
        if twin is not None:
            ids = list(dict.fromkeys([cands[twin].article.id, cand.article.id]))
            drafts.append(Drafted(Sentence(text=cands[twin].text, citations=ids), twin))
            stats.checks.passed += 1
            continue
        english, outcome = translate_checked(cand, backend, prompts, config, stats, min_confidence)
        if english is None:
            stats.checks.dropped += 1
            problems.append(f"{DROPPED}: a sentence of {cand.article.id} ({cand.article.language}): {outcome}")
            continue
        setattr(stats.checks, outcome, getattr(stats.checks, outcome) + 1)
        sentence = Sentence(
            english.text,
            [cand.article.id],
            original=cand.text,
            original_language=cand.article.language,
            confidence=english.confidence,
        )
        drafts.append(Drafted(sentence, index))
    return drafts, problems


def summarize_extractive(
    story: Story,
    backend: ChatBackend,
    prompts: Prompts,
    config: SummaryConfig,
    embedder: Embedder,
    max_articles: int,
    stats: CallStats,
    allowed: tuple[str, ...] | None = None,
    min_confidence: float | None = None,
) -> tuple[StorySummary, list[str]]:
    """Summarize a story by picking sentences, quoting English ones and translating the rest.

    `allowed` limits translation to those languages (None: any); sentences in other languages
    still make their articles cited when an English or translated sentence states their fact.
    A translation the model was less sure of than `min_confidence` is left out (None: no gate).

    A foreign sentence whose fact an English article states is replaced by the English one;
    every translation is checked against its source (briefing.factcheck) and re-asked or left
    out; every article stating a sentence's fact is cited.

    Returns:
        The summary and the problems met (sentences left out and why, uncited articles, a
        headline that fell back); the caller reports them.

    Raises:
        LLMOutputInvalid: when no sentence could be put into faithful English.
        LLMError: when the backend fails.
    """
    cands = candidates(story, config, max_articles)
    sim = similarity_matrix(cands, embedder)
    picked, twins = pick(cands, sim, config.sentences, allowed)
    drafts, problems = draft(picked, twins, cands, backend, prompts, config, stats, min_confidence)
    if not drafts:
        raise LLMOutputInvalid("no sentence could be put into faithful English: " + "; ".join(problems))
    drafts = merge_repeats(drafts, embedder)
    add_supporters(drafts, cands, sim)
    sentences = [d.sentence for d in drafts]
    cited = {c for s in sentences for c in s.citations}
    for article in story.articles[:max_articles]:
        if article.id not in cited:
            problems.append(f"{article.id} is not cited: no sentence of it was picked or states a picked fact")
    headline, why = write_headline(story, sentences, backend, prompts, stats)
    if why:
        problems.append(f"headline taken from the sources: the model's was refused ({why})")
    return StorySummary(headline=headline, sentences=sentences), problems


def write_headline(
    story: Story, sentences: list[Sentence], backend: ChatBackend, prompts: Prompts, stats: CallStats
) -> tuple[str, str]:
    """A headline that claims nothing the checked sentences do not say, and why the model's was refused."""
    english = [s.text for s in sentences]
    why = ""
    for attempt in range(2):
        try:
            headline = ask(backend, headline_request(english, prompts, attempt), stats, check_headline)
            check_headline_support(headline, english)
            return headline, ""
        except LLMOutputInvalid as exc:
            why = str(exc)
    return fallback_headline(story, english), why


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_]{4,}", text.casefold()) if w not in _HEADLINE_FILLER]


_FILLER_WORDS = "says said amid after over with from into than that this will would could about"
_HEADLINE_FILLER = frozenset(_FILLER_WORDS.split())


def headline_claims(headline: str, sentences: list[str]) -> list[Problem]:
    """Figures, names, dates or directions a headline adds to its checked sentences.

    A headline may leave out what the sentences say (a "not" among them); it may not add to it,
    nor drop a figure's bound ("600 firefighters" where the sentence says "more than 600").
    """
    problems = check_sentence(headline, " ".join(sentences), "en")
    return [p for p in problems if not p.omission or p.kind == "number"]


def check_headline_support(headline: str, sentences: list[str]) -> None:
    """Raise unless the headline's facts and most of its words come from the sentences.

    Raises:
        LLMOutputInvalid: naming what the headline claims that no sentence says.
    """
    problems = headline_claims(headline, sentences)
    if problems:
        raise LLMOutputInvalid(f"the headline says what no sentence says: {problems[0]}")
    body = " ".join(sentences)
    words = _content_words(headline)
    stems = {w[:5] for w in _content_words(body)}
    unsupported = [w for w in words if w[:5] not in stems]
    if words and len(unsupported) > (1 - HEADLINE_SUPPORT) * len(words):
        raise LLMOutputInvalid(f"the headline uses words no sentence supports: {', '.join(unsupported)}")


def lead_overview(stories: list[tuple[str, StorySummary]], count: int = 3) -> list[Sentence]:
    """An overview without the model: the checked lead sentence of each top story, citing its story."""
    if not stories:
        return [Sentence(text="No story could be summarized today.", citations=[])]
    return [
        Sentence(
            text=summary.sentences[0].text,
            citations=[story_id],
            original=summary.sentences[0].original,
            original_language=summary.sentences[0].original_language,
            confidence=summary.sentences[0].confidence,
        )
        for story_id, summary in stories[:count]
    ]
