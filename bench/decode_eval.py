"""How often decode_bytes gets real text back from the legacy encodings it was saved in.

Each real article of ../shared/eval (ar, de, en, es, fr, pl, tr) is encoded in the legacy
encodings its language was commonly saved in (cp1252 and latin-1 for de/en/es/fr; cp1250 and
ISO-8859-2 for pl; cp1254 and ISO-8859-9 for tr; cp1256 for ar), and as a mixed file (the first
half UTF-8, the second half cp1252, for de/en/es/fr); the decoded text must equal the original
exactly (characters the encoding cannot hold are replaced by '?' on both sides). Prints the share
recovered per language and encoding, for the decoder before this change (strict UTF-8, else
charset-normalizer's best guess: kept below as the baseline) and for `decode_bytes` now.

    python bench/decode_eval.py [ARTICLES.jsonl]    # default ../shared/eval/semeval-train-articles.jsonl
    python bench/decode_eval.py --write-table       # remake briefing/data/letters.json from wordfreq

Without the file (../shared absent) it says so and exits 0. The letter table the decoder scores
guesses with is made from wordfreq's word lists (not from these articles) by --write-table.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from charset_normalizer import from_bytes

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from briefing.errors import SourceError  # noqa: E402
from briefing.sources.decode import decode_bytes  # noqa: E402

ARTICLES = ROOT.parent / "shared" / "eval" / "semeval-train-articles.jsonl"
LEGACY = {
    "de": ["cp1252", "latin-1"],
    "en": ["cp1252", "latin-1"],
    "es": ["cp1252", "latin-1"],
    "fr": ["cp1252", "latin-1"],
    "pl": ["cp1250", "iso-8859-2"],
    "tr": ["cp1254", "iso-8859-9"],
    "ar": ["cp1256"],
}
MIXED = "utf-8+cp1252"  # first half UTF-8, second half cp1252: a file pasted together
Decoder = Callable[[bytes], str]


def baseline_decode(data: bytes) -> str:
    """The decoder before this change (without the BOM and declared-charset steps, not exercised here)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise SourceError("could not detect the text encoding")
    return str(best)


def current_decode(data: bytes) -> str:
    """decode_bytes as it is now."""
    return decode_bytes(data)[0]


def cases(path: Path) -> list[tuple[str, str, bytes, str]]:
    """(language, encoding, bytes, expected text) for every article and encoding."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        language = record["gold_language"]
        text = f"{record.get('title') or ''}\n{record['text']}".strip()
        for encoding in LEGACY.get(language, []):
            expected = text.encode(encoding, "replace").decode(encoding)
            out.append((language, encoding, expected.encode(encoding), expected))
        if "cp1252" in LEGACY.get(language, []):
            half = len(text) // 2
            head, tail = text[:half], text[half:].encode("cp1252", "replace").decode("cp1252")
            out.append((language, MIXED, head.encode("utf-8") + tail.encode("cp1252"), head + tail))
    return out


def score(decoder: Decoder, data: list[tuple[str, str, bytes, str]]) -> tuple[dict[tuple[str, str], list[int]], float]:
    """Per (language, encoding): [exactly recovered, total]; and the seconds taken."""
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    start = time.perf_counter()
    for language, encoding, raw, expected in data:
        try:
            ok = decoder(raw) == expected
        except SourceError:
            ok = False
        tally[(language, encoding)][0] += ok
        tally[(language, encoding)][1] += 1
    return tally, time.perf_counter() - start


def letter_table(top: int = 48, floor: float = 1e-6) -> dict[str, dict[str, float]]:
    """Per language the decoder knows: the share of text each letter makes up (a-z, and its top non-ASCII letters).

    From wordfreq's "best" lists: each word's frequency times its letters, over the words' total
    length (a space counted after each word). wordfreq case-folds, which turns ß into ss and ς
    into σ: those two are added with their usual share (German ß ~0.2%, Greek ς ~1.2%), and so is
    Turkish İ, a capital whose lower case (i + a dot) no table holds.
    """
    from wordfreq import get_frequency_dict

    from briefing.sources.decode import LEGACY

    table: dict[str, dict[str, float]] = {}
    for language in sorted({lang for languages in LEGACY.values() for lang in languages}):
        counts: dict[str, float] = defaultdict(float)
        length = 0.0
        for word, frequency in get_frequency_dict(language, "best").items():
            length += frequency * (len(word) + 1)
            for char in word:
                if char.isalpha():
                    counts[char] += frequency
        shares = {c: n / length for c, n in counts.items() if n / length >= floor}
        ascii_letters = sorted((c, f) for c, f in shares.items() if c.isascii())
        other = sorted(((c, f) for c, f in shares.items() if not c.isascii()), key=lambda cf: -cf[1])[:top]
        table[language] = {c: float(f"{share:.3g}") for c, share in ascii_letters + other}
    table["de"]["ß"] = 0.002
    table["el"]["ς"] = 0.012
    table["tr"]["İ"] = 0.001
    return table


def main(argv: list[str]) -> None:
    if argv[:1] == ["--write-table"]:
        target = ROOT / "briefing" / "data" / "letters.json"
        table = letter_table()
        lines = [f"{json.dumps(lang)}: {json.dumps(shares, ensure_ascii=False)}" for lang, shares in table.items()]
        target.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
        print(f"wrote {target}")
        return
    path = Path(argv[0]) if argv else ARTICLES
    if not path.exists():
        print(f"{path} not found: nothing to measure (the real articles live in ../shared/eval)")
        return
    data = cases(path)
    ascii_only = sum(1 for _, enc, raw, _ in data if enc != MIXED and raw.isascii())
    print(f"{len(data)} encoded texts from {path.name} ({ascii_only} are plain ASCII once encoded)\n")
    before, before_s = score(baseline_decode, data)
    after, after_s = score(current_decode, data)
    print(f"{'language':<9}{'encoding':<14}{'texts':>6}{'before':>9}{'after':>9}")
    for key in sorted(before):
        done, total = before[key]
        print(f"{key[0]:<9}{key[1]:<14}{total:>6}{done / total:>9.1%}{after[key][0] / total:>9.1%}")
    total = sum(t for _, t in before.values())
    print(
        f"{'all':<23}{total:>6}{sum(d for d, _ in before.values()) / total:>9.1%}"
        f"{sum(d for d, _ in after.values()) / total:>9.1%}"
    )
    print(f"\nseconds: before {before_s:.1f}, after {after_s:.1f} ({after_s / len(data) * 1000:.1f} ms a text)")


if __name__ == "__main__":
    main(sys.argv[1:])
