"""Benchmark read -> clean -> language -> dedupe -> cluster on generated multilingual articles.

Articles are generated from sentence templates in six languages: each story fills the slots
(company, person, place, figure, event) once and is reported in one to four languages; about 5%
of articles are syndicated copies. Prints articles/second per stage for each size and
how the time grows from the smallest size to the largest (1.0x per 10x would be linear).

    python bench/pipeline_bench.py            # 1,000 and 10,000 articles
    python bench/pipeline_bench.py 500 2000   # other sizes
    python bench/pipeline_bench.py --real 1000 10000   # real-length text (needs ../shared/eval)

With --real, articles are recombined from the real news in ../shared/eval: each is the first half
of one real article and the second half of another in the same language, so texts have real
length, vocabulary and scripts (no story structure: the quality figures are not printed). Peak
memory (max RSS) is printed after each size; run one size per process to read it for that size.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from briefing.app import show_clusters  # noqa: E402
from briefing.config import Config  # noqa: E402
from briefing.embed import UseEmbedder  # noqa: E402
from briefing.language import assign_language  # noqa: E402
from briefing.models import Article  # noqa: E402

# Sentence templates per language; a story fills the slots once and is then reported in several
# languages by several outlets, so stories differ by who, where, what figure and what happened.
TEMPLATES = {
    "en": [
        "{org} said on {day} that it will {event_en} in {place}.",
        "The decision affects about {num} people, according to {person}.",
        "{person}, who leads {org}, called it a difficult but necessary step.",
        "Officials in {place} expect a decision on the plan by {year}.",
    ],
    "de": [
        "{org} teilte am {day_de} mit, man werde in {place} {event_de}.",
        "Nach Angaben von {person} sind rund {num} Menschen betroffen.",
        "{person}, Chef von {org}, sprach von einem schwierigen, aber nötigen Schritt.",
        "Die Behörden in {place} erwarten eine Entscheidung bis {year}.",
    ],
    "fr": [
        "{org} a annoncé {day_fr} qu'elle allait {event_fr} à {place}.",
        "La décision concerne environ {num} personnes, selon {person}.",
        "{person}, qui dirige {org}, a parlé d'une étape difficile mais nécessaire.",
        "Les autorités de {place} attendent une décision d'ici {year}.",
    ],
    "it": [
        "{org} ha annunciato {day_it} che intende {event_it} a {place}.",
        "La decisione riguarda circa {num} persone, secondo {person}.",
        "{person}, alla guida di {org}, ha parlato di un passo difficile ma necessario.",
        "Le autorità di {place} attendono una decisione entro il {year}.",
    ],
    "es": [
        "{org} anunció el {day_es} que va a {event_es} en {place}.",
        "La decisión afecta a unas {num} personas, según {person}.",
        "{person}, que dirige {org}, habló de un paso difícil pero necesario.",
        "Las autoridades de {place} esperan una decisión antes de {year}.",
    ],
    "fi": [
        "{org} kertoi {day_fi}, että se aikoo {event_fi} kaupungissa {place}.",
        "Päätös koskee noin {num} ihmistä, kertoo {person}.",
        "{org}:n johtaja {person} kuvasi askelta vaikeaksi mutta välttämättömäksi.",
        "Viranomaiset odottavat päätöstä vuoteen {year} mennessä.",
    ],
}
EVENTS = [
    {
        "en": "close its main factory",
        "de": "das Hauptwerk schließen",
        "fr": "fermer son usine principale",
        "it": "chiudere la fabbrica principale",
        "es": "cerrar su fábrica principal",
        "fi": "sulkea päätehtaansa",
    },
    {
        "en": "build a new rail line",
        "de": "eine neue Bahnstrecke bauen",
        "fr": "construire une nouvelle ligne ferroviaire",
        "it": "costruire una nuova linea ferroviaria",
        "es": "construir una nueva línea de tren",
        "fi": "rakentaa uuden raideyhteyden",
    },
    {
        "en": "cut 20 percent of its staff",
        "de": "ein Fünftel der Stellen streichen",
        "fr": "supprimer un cinquième des postes",
        "it": "tagliare un quinto del personale",
        "es": "recortar una quinta parte de la plantilla",
        "fi": "vähentää viidenneksen henkilöstöstä",
    },
    {
        "en": "open a research centre",
        "de": "ein Forschungszentrum eröffnen",
        "fr": "ouvrir un centre de recherche",
        "it": "aprire un centro di ricerca",
        "es": "abrir un centro de investigación",
        "fi": "avata tutkimuskeskuksen",
    },
]
DAYS = {"en": "Monday", "de": "Montag", "fr": "lundi", "it": "lunedì", "es": "lunes", "fi": "maanantaina"}
FIRST = ["Anna", "Jonas", "Marta", "Kenji", "Olu", "Sofia", "Pekka", "Lucia", "Tomasz", "Ingrid", "Rafael", "Amira"]
PLACES = ["Lisbon", "Tampere", "Osaka", "Gdansk", "Lagos", "Bergen", "Turin", "Lyon", "Graz", "Quito", "Leeds", "Brno"]
ORG_A = ["Nordic", "Atlas", "Helix", "Orion", "Vega", "Delta", "Aurora", "Zenith", "Pioneer", "Summit", "Lumen"]
ORG_B = ["Steel", "Rail", "Pharma", "Motors", "Energy", "Foods", "Systems", "Textiles", "Logistics", "Bank"]


SYLLABLES = ["ka", "lo", "mer", "vin", "sa", "tor", "el", "bru", "ni", "dan", "ko", "ri", "hel", "ma", "zu", "pe"]


def made_up_name(rng: random.Random) -> str:
    """A capitalised name from 2-3 syllables (4,000+ of them), so stories name different people."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def generate(count: int, seed: int = 7) -> list[dict[str, str]]:
    """`count` articles: stories of 1-4 articles in different languages, ~5% syndicated copies."""
    rng = random.Random(seed)
    out: list[dict[str, str]] = []
    story = 0
    while len(out) < count:
        story += 1
        event = rng.choice(EVENTS)
        slots = {
            "org": f"{rng.choice(ORG_A)} {made_up_name(rng)} {rng.choice(ORG_B)}",
            "person": f"{rng.choice(FIRST)} {made_up_name(rng)}",
            "place": rng.choice(PLACES) if rng.random() < 0.3 else made_up_name(rng),
            "num": f"{rng.randint(100, 99999):,}",
            "year": str(rng.randint(2027, 2035)),
        }
        for lang in rng.sample(sorted(TEMPLATES), rng.randint(1, 4)):
            fill = {**slots, "day": DAYS["en"], **{f"day_{k}": v for k, v in DAYS.items()}}
            fill.update({f"event_{k}": v for k, v in event.items()})
            sentences = [t.format(**fill) for t in TEMPLATES[lang]]
            rng.shuffle(sentences[1:])
            row = {
                "id": f"g{len(out)}",
                "title": sentences[0][:70],
                "text": " ".join(sentences),
                "language": lang,
                "source": f"Outlet {rng.randint(1, 300)}",
                "published": f"2026-11-{rng.randint(20, 22):02d}T{rng.randint(0, 23):02d}:00:00Z",
                "url": f"https://news.example/{story}/{lang}",
                "story": story,  # ground truth for the quality figures; readers ignore it
            }
            out.append(row)
            if rng.random() < 0.05 and len(out) < count:
                out.append({**row, "id": f"g{len(out)}", "source": "Wire copy"})
            if len(out) >= count:
                break
    return out


FILE_ROWS = 5000
EVAL_ARTICLES = ROOT.parent / "shared" / "eval" / "semeval-train-articles.jsonl"


def recombine(count: int, seed: int = 7) -> list[dict[str, str]]:
    """`count` real-length articles: halves of two real articles of one language, joined."""
    rows = [json.loads(line) for line in EVAL_ARTICLES.read_text("utf-8").splitlines() if line.strip()]
    by_language: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_language.setdefault(row["gold_language"], []).append(row)
    rng = random.Random(seed)
    out = []
    for n in range(count):
        pool = by_language[rng.choice(sorted(by_language))]
        first, second = rng.sample(pool, 2)
        head = f"{first['title']}\n{first['text']}".strip()
        tail = second["text"]
        text = head[: len(head) // 2] + " " + tail[len(tail) // 2 :]
        out.append({"id": f"r{n}", "title": "", "text": text, "story": n})
    return out


def pair_scores(groups: list[list[str]], truth: dict[str, int]) -> tuple[float, float]:
    """Pairwise precision and recall of the clustering against the generated stories."""

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    cells: Counter[tuple[int, int]] = Counter()
    for number, group in enumerate(groups):
        for article_id in group:
            cells[(number, truth[article_id])] += 1
    together = sum(pairs(len(g)) for g in groups)
    true_sizes = Counter(truth[a] for g in groups for a in g)
    same_story = sum(pairs(n) for n in true_sizes.values())
    both = sum(pairs(n) for n in cells.values())
    return (both / together if together else 1.0), (both / same_story if same_story else 1.0)


def run(count: int, folder: Path, real: bool = False) -> dict[str, float]:
    path = folder / f"bench-{count}"
    path.mkdir()
    rows = recombine(count) if real else generate(count)
    truth = {r["id"]: int(r["story"]) for r in rows}
    for start in range(0, len(rows), FILE_ROWS):  # files stay under input.max_file_bytes
        with (path / f"part-{start // FILE_ROWS:03d}.jsonl").open("w", encoding="utf-8") as handle:
            for row in rows[start : start + FILE_ROWS]:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    # The grouping `briefing cluster` runs (briefing.app.show_clusters), with no embedding cache:
    # every article is embedded, as on a first sight.
    config = Config.model_validate({"paths": {"cache_dir": folder / "cache"}, "cluster": {"embedding_cache": False}})
    clusters = show_clusters([str(path)], config)
    rejected = [r for r in clusters.records if r.status == "rejected"]
    if rejected:
        raise SystemExit(f"the benchmark's own input was rejected: {rejected[:3]}")
    timings = clusters.timings
    groups = [story.articles for story in clusters.stories]
    duplicates = sum(1 for r in clusters.records if r.status == "duplicate")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    quality = ""
    if not real:
        precision, recall = pair_scores([[a.id for a in g] for g in groups], truth)
        true = len({truth[a.id] for g in groups for a in g})
        quality = f" (true: {true}), pairwise precision {precision:.3f} recall {recall:.3f}"
    print(
        f"{count:>6} articles: "
        + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items())
        + f" | {count / timings['total']:.0f} articles/s | {duplicates} duplicates, "
        f"{len(groups)} stories{quality} | peak memory {peak_mb:.0f} MB"
    )
    return timings


def main(argv: list[str]) -> None:
    real = "--real" in argv
    if real and not EVAL_ARTICLES.is_file():
        print(f"no real articles at {EVAL_ARTICLES}: --real skipped")
        return
    sizes = [int(a) for a in argv if a != "--real"] or [1000, 10000]
    UseEmbedder().encode(["warm up the model"])  # loading models is not part of the per-article cost
    assign_language(Article(id="warm", title="", text="warm up the language model"))
    with tempfile.TemporaryDirectory() as tmp:
        results = {n: run(n, Path(tmp), real) for n in sizes}
    small, large = min(sizes), max(sizes)
    if small != large:
        factor = large / small
        print(f"growth {small} -> {large} articles ({factor:.0f}x more):")
        for key in results[small]:
            ratio = results[large][key] / max(results[small][key], 1e-9)
            print(f"  {key:<9} time x{ratio:.1f}  ({ratio / factor:.2f} of linear)")


if __name__ == "__main__":
    main(sys.argv[1:])
