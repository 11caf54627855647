"""Text in legacy encodings decodes exactly, and a guessed encoding is flagged (made-up sentences).

One case per language and encoding it was commonly saved in; then files pasted together from
UTF-8 and cp1252, declared charsets (trusted, not flagged), and the flag reaching articles read
from files and feeds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.config import FetchConfig, InputConfig
from briefing.sources import read_sources
from briefing.sources.decode import decode_bytes
from tests.support.offline import OfflineContext

SENTENCES = {
    "fr": "Grève générale à Lyon : les cheminots réclament une hausse des salaires dès l’été, a déclaré la "
    "fédération, qui prévoit des perturbations jusqu’à vendredi.",
    "de": "Köln: Die Straßenbahn fährt wegen des Streiks erst ab Donnerstag wieder, sagte die Sprecherin der "
    "Verkehrsbetriebe. Fahrgäste müssen mit Verspätungen rechnen.",
    "es": "El alcalde de Cádiz anunció que la reforma del puerto costará más de lo previsto y que las obras "
    "empezarán en otoño, según el diario local.",
    "en": "The café owner said the “naïve” plan to close the street for a year would cost the town £2m — far "
    "more than the council’s estimate.",
    "pl": "Władze Łodzi ogłosiły, że remont dworca potrwa dłużej, bo zabrakło pieniędzy. Pasażerowie muszą "
    "korzystać z autobusów zastępczych aż do źródła problemu.",
    "cs": "Radnice v Brně oznámila, že oprava mostu začne v březnu a potrvá tři měsíce. Řidiči musí počítat s "
    "objížďkami přes čtvrť Žabovřesky.",
    "hu": "A győri önkormányzat bejelentette, hogy a híd felújítása márciusban kezdődik és három hónapig tart, "
    "az autósoknak kerülőúton kell közlekedniük.",
    "tr": "İstanbul Belediyesi, köprünün onarımının şubat ayında başlayacağını açıkladı; çalışmalar üç ay "
    "sürecek ve sürücüler alternatif yolları kullanmak zorunda kalacak.",
    "ru": "Мэрия Новосибирска объявила, что ремонт моста начнётся в марте и продлится три месяца. Водителям "
    "придётся пользоваться объездными дорогами.",
    "el": "Ο δήμος της Πάτρας ανακοίνωσε ότι η επισκευή της γέφυρας θα ξεκινήσει τον Μάρτιο και θα διαρκέσει "
    "τρεις μήνες, με παρακάμψεις για τους οδηγούς.",
    "he": "עיריית חיפה הודיעה כי תיקון הגשר יתחיל בחודש מרץ וימשך שלושה חודשים, והנהגים יצטרכו להשתמש בדרכים עוקפות.",
    "ar": "أعلنت بلدية الإسكندرية أن أعمال إصلاح الجسر ستبدأ في شهر مارس وتستمر ثلاثة أشهر، وعلى السائقين "
    "استخدام الطرق البديلة.",
    "lt": "Kauno savivaldybė pranešė, kad tilto remontas prasidės kovo mėnesį ir truks tris mėnesius, o "
    "vairuotojai turės važiuoti aplinkkeliais.",
    "ja": "札幌市は月曜日、橋の修理を三月に始めると発表した。"
    "工事は三か月続く見込みで、運転手は迂回路を使う必要がある。",
    "zh": "北京市政府周一宣布，大桥维修工程将于三月开始，预计持续三个月，司机需要绕行。",
    "ko": "부산시는 월요일 다리 보수 공사가 삼월에 시작되어 석 달 동안 계속된다고 발표했다. "
    "운전자들은 우회로를 이용해야 한다.",
}
LEGACY = [
    ("fr", "cp1252"),
    ("fr", "latin-1"),
    ("de", "cp1252"),
    ("de", "latin-1"),
    ("es", "cp1252"),
    ("en", "cp1252"),
    ("pl", "cp1250"),
    ("pl", "iso-8859-2"),
    ("cs", "cp1250"),
    ("hu", "iso-8859-2"),
    ("tr", "cp1254"),
    ("tr", "iso-8859-9"),
    ("ru", "cp1251"),
    ("ru", "koi8-r"),
    ("el", "cp1253"),
    ("he", "cp1255"),
    ("ar", "cp1256"),
    ("lt", "cp1257"),
    ("ja", "shift_jis"),
    ("zh", "gb18030"),
    ("zh", "big5"),
    ("ko", "euc-kr"),
]


@pytest.mark.parametrize(("language", "encoding"), LEGACY, ids=[f"{lang}-{enc}" for lang, enc in LEGACY])
def test_a_legacy_encoding_decodes_exactly_and_is_flagged_as_a_guess(language: str, encoding: str) -> None:
    text = SENTENCES[language]
    if encoding == "latin-1":
        text = text.replace("’", "'")  # latin-1 has no curly quote; cp1252 has
    if language == "zh" and encoding == "big5":
        text = "臺北市政府週一宣布，大橋維修工程將於三月開始，預計持續三個月，司機需要繞行。"
    decoded = decode_bytes(text.encode(encoding))
    assert decoded.text == text
    assert decoded.flag is not None and decoded.flag.startswith("encoding guessed: ")


def test_the_mojibake_of_the_issue_is_gone() -> None:
    assert decode_bytes("La Grève de Köln".encode("cp1252")).text == "La Grève de Köln"  # was "Grčve"
    mixed = "Köln: ".encode() + "la grève continue".encode("cp1252")
    assert decode_bytes(mixed).text == "Köln: la grève continue"  # was "KĂ¶ln"


def test_mostly_utf8_with_stray_latin1_bytes_is_decoded_piece_by_piece() -> None:
    head = "Zürich und Köln: „Grüße“ aus der Schweiz, sagte die Ministerin am Montag. "
    tail = "À Paris, la grève générale a commencé ce matin, selon le ministère."
    decoded = decode_bytes(head.encode("utf-8") + tail.encode("cp1252"))
    assert decoded.text == head + tail
    assert decoded.flag == "encoding guessed: UTF-8 with 6 stray byte(s) read as cp1252"


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (SENTENCES["de"].encode("utf-8"), None),
        (SENTENCES["ru"].encode("utf-16"), None),  # a byte-order mark
        (SENTENCES["pl"].encode("cp1250"), "windows-1250"),  # an HTTP Content-Type charset
        (f'<html><head><meta charset="iso-8859-2"></head><p>{SENTENCES["pl"]}</p>'.encode("iso-8859-2"), None),
        (f'<?xml version="1.0" encoding="koi8-r"?><p>{SENTENCES["ru"]}</p>'.encode("koi8-r"), None),
    ],
)
def test_what_the_bytes_state_is_trusted_and_not_flagged(data: bytes, declared: str | None) -> None:
    decoded = decode_bytes(data, declared)
    assert decoded.flag is None
    assert any(sentence in decoded.text for sentence in SENTENCES.values())


def test_a_declared_latin1_is_read_as_cp1252_like_browsers_do() -> None:
    text = "Le “projet” coûte 3 €, dit-il…"
    assert decode_bytes(text.encode("cp1252"), "iso-8859-1").text == text


def test_a_text_file_in_cp1252_is_read_right_and_flagged(tmp_path: Path) -> None:
    (tmp_path / "greve.txt").write_bytes(f"Grève à Lyon\n\n{SENTENCES['fr']}".encode("cp1252"))
    articles, _ = read_sources([str(tmp_path / "greve.txt")], OfflineContext(InputConfig()))
    assert articles[0].title == "Grève à Lyon" and articles[0].text == SENTENCES["fr"]
    assert "encoding guessed: cp1252" in articles[0].flags


@pytest.mark.parametrize("declaration", ["", ' encoding="windows-1250"'])
def test_a_feed_file_in_cp1250_is_read_right_and_flagged_only_when_undeclared(tmp_path: Path, declaration: str) -> None:
    item = f"<item><title>Remont dworca w Łodzi</title><description>{SENTENCES['pl']}</description></item>"
    feed = f'<?xml version="1.0"{declaration}?><rss version="2.0"><channel><title>Źródło</title>{item}</channel></rss>'
    (tmp_path / "lodz.xml").write_bytes(feed.encode("cp1250"))
    articles, rejections = read_sources([str(tmp_path / "lodz.xml")], OfflineContext(InputConfig(), FetchConfig()))
    assert rejections == []
    (article,) = articles
    assert (article.title, article.text, article.source) == ("Remont dworca w Łodzi", SENTENCES["pl"], "Źródło")
    guessed = [f for f in article.flags if "encoding" in f or "malformed" in f]
    assert guessed == ([] if declaration else ["encoding guessed: cp1250"])
