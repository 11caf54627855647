"""Clean article text: strip page furniture, normalise, keep the declared origin. Pure functions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from briefing.budget import split_sentences
from briefing.models import Article

# Lines that are navigation or footer furniture on their own, in the languages we see most.
_FURNITURE = re.compile(
    r"""^(
        privacy(\s+policy)? | privacy\s+notice | cookie(s|\s+policy|\s+settings)? | contact(\s+us)? |
        terms(\s+of\s+(use|service))? | imprint | impressum | datenschutz(erklärung)? | kontakt |
        related(\s+(links|articles|stories|posts))? | read\s+more | more\s+stories | see\s+also |
        back\s+to\s+(headlines|top|home|news) | advertisement | anzeige | publicité | pubblicità | mainos |
        share(\s+(this|on\s+\w+))? | partager | condividi | teilen | jaa | tweet | subscribe |
        sign\s+up(\s+for\s+our\s+newsletter)? | newsletter | all\s+rights\s+reserved.* |
        ©.* | copyright\s.* | tietosuoja(seloste)? | yhteystiedot | articoli\s+correlati |
        lue\s+myös | leggi\s+anche | lire\s+aussi | à\s+lire\s+aussi | mehr\s+zum\s+thema |
        (il\s+y\s+a|vor|hace)\s+\d+\s+\w+ | \d+\s+(days?|hours?|minutes?)\s+ago |
        home | menu | search | login | log\s+in
    )[\s.:!|»›>-]*$""",
    re.IGNORECASE | re.VERBOSE,
)

# A heading that opens a FAQ block; such blocks restate the article, so they are cut.
_FAQ_HEADING = re.compile(
    r"^(faq|faqs|ukk|frequently\s+asked\s+questions|domande\s+frequenti|häufige\s+fragen|"
    r"questions\s+fréquentes|usein\s+kysytyt\s+kysymykset|preguntas\s+frecuentes)\s*:?$",
    re.IGNORECASE,
)

# Declared origins: "Source: Spiceworks", "Lähde: Spiceworks", "The source of the article is ...".
_ORIGIN_PATTERNS = [
    re.compile(r"^the\s+source\s+of\s+(?:the|this)\s+article\s+is\s+(?:from\s+)?(?:the\s+)?(.+?)\.?$", re.I),
    re.compile(
        r"^(?:source|sources|lähde|lähteet|fonte|fonti|quelle|quellen|source\s+de\s+l'article|"
        r"fuente|bron|källa|kilde|źródło|источник)\s*[:：]\s*(.{2,120}?)\.?$",
        re.I,
    ),
    re.compile(r"^(?:originally\s+published\s+(?:on|by|at)|via)\s+(.{2,120}?)\.?$", re.I),
]


def _furniture_pattern(start: str = "", word: str = "", other: str = "") -> re.Pattern[str]:
    """One case-insensitive pattern from alternatives anchored at the start, at a word, or anywhere.

    Kept apart for speed: one long alternation is tried at every character, while
    `\\b(?:...)` is tried at word starts only (about five times faster on news text).
    """
    parts = [f"^(?:{start})" if start else "", rf"\b(?:{word})" if word else "", f"(?:{other})" if other else ""]
    return re.compile("|".join(part for part in parts if part), re.IGNORECASE | re.VERBOSE)


# Page furniture inside running text, by class: a sentence matching one is never quoted.
_SENTENCE_FURNITURE: list[tuple[str, re.Pattern[str]]] = [
    (
        "prompt",
        _furniture_pattern(
            start=r"""
            ((click|tap)\s+here\s+to\s+)?(get|download)\s+(the|our)\s+[\w\s]{0,40}?\bapp\b
            | (please\s+)?(subscribe|sign\s+(in|up)|log\s+in|register)\b
            | (already\s+a|become\s+a)\s+(subscriber|member)\b
            | create\s+(a\s+free|an)\s+account\b
            | (accept|akzeptieren|accepter|aceptar|accetta|akceptuj[ęe]?|hyväksy|accepteer|godkänn|aceitar)
              \s+(all\s+|alle\s+|tous\s+les\s+|les\s+|todas\s+las\s+|las\s+|tutti\s+i\s+|i\s+|os\s+|pliki\s+)?cookies?\b
            | (please\s+)?support\s+(us|our\s+journalism)\b | unterstützen\s+sie\s+(uns|unseren\s+journalismus)\b
            | wesprzyj\s+nas\b | (anmelden|abonnieren|registrieren)\b | (se\s+connecter|s'abonner|s’abonner)\b
            | inicia(r)?\s+sesión\b | abbonati\s*[!.:]?$ | accedi\b | giriş\s+yap\b | tilaa\s*[!.:]?$ | logga\s+in\b
            | assine\b
            """,
            word=r"""
            (click|tap)\s+here\b | subscribe\s+(now|today|to\s+our)\b | you\s+can\s+subscribe\b
            | subscription\s+for\s+only\b | (sign|log)\s+in\s+to\s+(continue|read|comment|access)\b
            | you['’]re\s+already\s+a\s+(subscriber|member)\b | create\s+a\s+free\s+account\b
            | turn\s+on\s+(desktop\s+)?notifications\b
            | (we|this\s+(web)?site)\s+uses?\s+cookies\b | cookie\s+(settings|policy|preferences)\b
            | accept\s+all\s+cookies\b | (alle\s+)?cookies\s+(akzeptieren|zustimmen)\b | çerezleri\s+kabul\s+et\b
            | (we|wir|nous|usamos|utilizamos|utilizziamo|używamy|kullanıyoruz|käytämme|gebruiken|vi\s+använder)\b
              .{0,60}\b(cookies?|çerez(ler)?|evästeitä)\b
            | empfehlung\s*[-–—:]\s*anmelden\b
            | jetzt\s+(abonnieren|anmelden|registrieren|weiterlesen|kostenlos\s+testen)\b
            | zum\s+weiterlesen\b | hier\s+(klicken|anmelden)\b
            | abonnez-vous\b | connectez-vous\b | inscrivez-vous\b | cliquez\s+ici\b | téléchargez\s+l['’]application\b
            | inicia\s+sesión\s+(para\s+(comentar|continuar|leer|seguir)|con\s+tu\s+cuenta)\b
            | suscríbete\b | regístrate\b | haz\s+clic\s+aquí\b | descarga\s+(la|nuestra)\s+app\b
            | abbonati\s+(ora|subito)\b | iscriviti\b | clicca\s+qui\b | scarica\s+l['’]app\b
            | zaloguj(\s+się)?\b | zarejestruj\s+się\b | kliknij\s+tutaj\b | pobierz\s+aplikację\b
            | wykup\s+(dostęp|subskrypcję|prenumeratę)\b
            | abone\s+ol\b | uygulamayı\s+indir\b | buraya\s+tıkla
            | tilaa\s+(nyt|uutiskirje\w*)\b | kirjaudu(\s+sisään)?\b | hyväksy\s+evästeet\b | klikkaa\s+tästä\b
            | neem\s+een\s+abonnement\b | meld\s+je\s+aan\b | klik\s+hier\b
            | bli\s+prenumerant\b | klicka\s+här\b
            | assine\s+(já|agora)\b | inscreva-se\b | faça\s+login\b | clique\s+aqui\b | baixe\s+o\s+(app|aplicativo)\b
            | اشترك\s+الآن | تسجيل\s+الدخول | سجل\s+الدخول | (اضغط|انقر)\s+هنا | حمل\s+التطبيق
            | ملفات\s+تعريف\s+الارتباط
            """,
        ),
    ),
    (
        "navigation",
        _furniture_pattern(
            word=r"""
            (previous|next)\s+(page|article)\b | (vorherige|nächste)\s+seite\b | single\s+page\b | print\s+page\b
            | page\s+\d+\s+of\s+\d+\b | artikel\s+auf\s+einer\s+seite\s+lesen\b | back\s+to\s+top\b
            | article\s+continues\s+(below|after)\b | story\s+continues\s+below\b
            | den\s+vollständigen\s+artikel\s+lesen\b
            """,
        ),
    ),
    (
        "sharing",
        _furniture_pattern(
            start=r"""
            (now\s+)?sharing\s*: | share\s+(this|on|via)\b
            | ((jetzt\s+)?teilen|partager|compartir|condividi|udostępnij|paylaş|jaa|delen|dela|compartilhe)\s*[:!]?$
            | jetzt\s+teilen\b | teilen\s+teilen\b | compartir\s+en\b | (condividi|udostępnij|paylaş|compartilhe)\b
            | (delen|dela|del)\s*: | شارك\s+(عبر|المقال)
            """,
            word=r"share\s+this\s+(article|story|page|post)\b | artikel\s+teilen\b | partager\s+(cet\s+article|sur)\b"
            r" | (follow|folgen\s+sie|suivez|sigue|segui|takip\s+edin|obserwuj)\b[^.!?]{0,80}"
            r"\b(on|auf|sur|en|su|w|na)\s+(twitter|x|facebook|instagram|linkedin|mastodon|bluesky)\b.*@\w+",
        ),
    ),
    (
        "related link",
        _furniture_pattern(
            start=r"""
            (we\s+recommend|recommended|related(\s+(posts?|articles?|stories|links?|news))?|read\s+(also|more|next)
              |also\s+read|see\s+also|more\s+on\s+this|watch|empfehlungen|mehr\s+zum\s+thema|auch\s+interessant
              |weitere\s+artikel|siehe\s+auch|voir\s+aussi|sur\s+le\s+même\s+sujet|lire\s+la\s+suite
              |te\s+puede\s+interesar|le\s+puede\s+interesar|ver\s+también|noticias?\s+relacionadas?|más\s+información
              |potrebbe\s+interessarti|vedi\s+anche|approfondisci|polecamy|zobacz\s+(też|także|również)
              |ayrıca\s+bakınız|devamı\s+için|katso\s+myös|aiheesta\s+lisää|zie\s+ook|gerelateerd|se\s+även
              |veja\s+(também|mais)|saiba\s+mais|relacionad[ao]s?|شاهد\s+أيضا)\s*([:：»›>|–—-]|$)
            | (lesen\s+sie\s+(auch|mehr|hier)|das\s+könnte\s+sie\s+auch\s+interessieren|à\s+lire\s+aussi|lire\s+aussi
              |à\s+voir\s+aussi|lee\s+también|lea\s+también|leer\s+más|leggi\s+(anche|pure)|articoli\s+correlati
              |czytaj\s+(też|także|również|więcej)|ilgili\s+haber(ler)?|bunu\s+da\s+okuyun|bunlar\s+da\s+ilginizi\s+çekebilir
              |lue\s+(myös|lisää)|lees\s+(ook|meer)|läs\s+(också|även|mer)|leia\s+(também|mais)
              |اقرأ\s+(أيضا|أيضًا|أيضاً|المزيد)|مواضيع\s+ذات\s+صلة)\b
            """,
        ),
    ),
    (
        "credit",
        _furniture_pattern(
            start=r"""
            (photo|photos|foto|fotos|bild|bilder|image|imagen|immagine|picture|kuva|zdjęcie|fot\.|fotoğraf|görsel
              |صورة|video|grafik|graphic|illustration|quelle\s+bild)(\s+credits?)?\s*[:：]
            | (photo|foto|picture|image)\s*/\s*\w
            """,
            word=r"""
            (photo|foto|fotoğraf|zdjęcie|imagen|immagine|kuva)\s*[:：]\s*\S
            | (image|photo|picture|foto)\s+(credits?|courtesy)\b | image\s+caption\b
            | (getty\s+images|shutterstock|istock(photo)?|imago(\s+images)?|picture\s+alliance)\s*/
            | (via\s+AP|AP\s+photo)\b | rubriklistenbild\b
            """,
            other=r"""
            \(\s*(photo|foto|bild|image|picture)s?\s*(by|:|credit)
            | [/(]\s*(getty\s+images|shutterstock|istock(photo)?|imago(\s+images)?|picture\s+alliance)\b
            """,
        ),
    ),
    (
        "contact",
        _furniture_pattern(
            start=r"""
            (pressekontakt|presse(anfragen)?|rückfragen(\s+bitte)?\s+an|kontakt|contact|media\s+contact|press\s+contact
              |contacto|contatto|yhteystiedot|tel\.?|telefon|phone)\s*[:：]
            """,
            other=r"(?<=[\w.+-])@[\w-]+(\.[\w-]+)*\.[a-z]{2,}\b",  # an e-mail address, found from its "@"
        ),
    ),
    (
        "copyright",
        _furniture_pattern(
            start=r"copyright\b",
            word=r"""
            copyright\s*(\d{4}|\(c\)) | all\s+rights\s+reserved\b | alle\s+rechte\s+vorbehalten\b
            | tous\s+droits\s+réservés\b | todos\s+los\s+derechos\s+reservados\b | tutti\s+i\s+diritti\s+riservati\b
            | wszelkie\s+prawa\s+zastrzeżone\b | tüm\s+hakları\s+saklıdır\b | جميع\s+الحقوق\s+محفوظة
            | kaikki\s+oikeudet\s+pidätetään\b | alle\s+rechten\s+voorbehouden\b | alla\s+rättigheter\s+förbehållna\b
            | todos\s+os\s+direitos\s+reservados\b
            """,
            other=r"© | \(c\)\s*\d{4}",
        ),
    ),
    (
        "wire header",
        _furniture_pattern(
            start=r"(POL|FW|BPOL|LPI|HZA)-[A-ZÄÖÜ]{1,6}\s*: | ots\s*: | DGAP-(adhoc|news|dd|media)\s*:",
            word=r"original-content\s+von\s*: | übermittelt\s+durch\s+news\s+aktuell\b | weiteres\s+material\s*:",
            other=r"\+\+\+",
        ),
    ),
    (
        # A cookie notice speaks to the reader about cookies and the site: "We use cookies ...", "By
        # continuing to use our website you agree ...", "finden Sie in unserer Datenschutzerklärung".
        # News about cookies (a fine, a court ruling, a bakery) names them without that voice.
        "cookie notice",
        _furniture_pattern(
            start=r"""
            (?=.*\b(cookies?|cookie-\w+|çerez\w*|eväste\w*|ciasteczk\w*|كوكيز)\b)
            (?=.*(\b(you|your|we|our|(?-i:us)|this\s+(web)?site|(?-i:Sie|Ihnen|Ihre?[mnrs]?)|wir|uns|unser\w*
              |dieses?\s+(web)?seite|vous|votre|vos|nous|notre|nos|ce\s+site|usted\w*|tus?|nuestr\w+|este\s+sitio
              |utilizamos|usamos|aceptas?|voi|vostr\w+|tuoi?|tua|noi|nostr\w+|questo\s+sito|utilizziamo|usiamo
              |accetti|você|vocês|nós|noss\w+|este\s+site|nasz\w*|używamy|twoj\w*|akceptujesz
              |wyrażasz|sitemiz\w*|kullanıyoruz|\w+(?:oruz|siniz|sınız|sunuz|sünüz)|uw|wij|onze|käytämme
              |sivustomme|hyväksyt|vi|vår|våra)\b|نستخدم|موقعنا))
            (?=.*\b(web|site|seite|webseite|página|pagina|sito|stron|sayfa|sivusto|privacy|datenschutz|privacidad
              |confidentialit|privacidade|prywatno|gizlilik|tietosuoja|consent|zustimm|einverstanden|einwillig
              |accept|akzept|acept|accett|akcept|kabul|hyväks|izin|personali|werbung|advertis|publicid|publicit
              |pubblicit|reklam|mainon|navega|navigat|browser|analy|tracking|nutzung|verwend|utiliz|używa|kullan
              |käyt|use|usage|setting|einstellung|paramètre|configura|impostazion|ustawie|ayar|asetu|deaktivier
              |disable|enable|technolog))
            """,
        ),
    ),
]
# Text cut for a teaser: "… ends here ..." or "first half ... second half" (bracketed "[...]" is quoting).
_TEASER_END = re.compile(r"(\.\.\.|…)[\s\"'”’»)]*$")
_TEASER_SEAM = re.compile(r"\s(\.\.\.|…)\s")
# Section labels that glue themselves to the sentence after them, in the languages we read.
_LABELS = r"""
    chronology|chronologie|chronik|cronología|cronologia|cronologia\s+dos\s+fatos|kronologia|kronoloji|kronologi|aikajana
    |context|contexte|contesto|contexto|kontext|kontekst|konteksti|tausta|hintergrund|hintergründe|arka\s+plan|bağlam
    |achtergrond|bakgrund|background|antecedentes|contexto\s+e\s+antecedentes|السياق|خلفية
    |analysis|analyse|analisi|análisis|análise|analiza|analiz|analyysi|analys
    |update(\s*\d+)?|aktualisierung|mise\s+à\s+jour|actualización|aggiornamento|aktualizacja|güncelleme|päivitys|atualização
    |editor['’]s\s+note|note\s+from\s+the\s+editor|anmerkung\s+der\s+redaktion|note\s+de\s+la\s+rédaction|nota\s+del\s+editor
    |nota\s+della\s+redazione|nota\s+redakcji|editörün\s+notu|toimittajan\s+huomautus|noot\s+van\s+de\s+redactie
    |redaktörens\s+anmärkning|nota\s+do\s+editor|nota\s+da\s+redação
    |exclusive|exklusiv|exclusif|exclusiva|esclusiva|ekskluzywne|ekskluzywnie|özel|yksinoikeudella
    |breaking(\s+news)?|eilmeldung|eil|dernière\s+minute|última\s+hora|ultim['’]ora|pilne|son\s+dakika|عاجل|flash
    |video|vídeo|wideo|watch|watch\s+live|live|liveblog|ticker
"""
# A leading label, possibly after a heading that starts with a label ("Context and the events Context:").
_INLINE_LABEL = re.compile(
    rf"^(?:(?:{_LABELS})\b[^:：.!?]{{0,80}}?\s)?(?:{_LABELS})\s*[:：]\s*|^\[\s*(?:{_LABELS})\s*\]\s*",
    re.IGNORECASE | re.VERBOSE,
)
_AGENCIES = r"""
    dpa(-afx)?|afp|reuters|ap|efe|ansa|aa|dha|iha|pap|sda|apa|kna|epd|dts|afx|bloomberg|tass|ria|xinhua|ians|pti
    |europa\s+press|anadolu|stt|tt|ntb|anp|belga|lusa|wafa|mena|kuna|spa|wam|qna|irna|yonhap|kyodo|sid|ots|upi|cnn|bbc
    |rtr|agi|adnkronos|ag[eê]ncia\s+brasil|ctk|mti|hina|bta|ukrinform|interfax
    |رويترز|أ\s*\.?\s*ف\s*\.?\s*ب|الأناضول|د\s*ب\s*أ|واس|وام|قنا|كونا|سبوتنيك
"""
_AGENCY = re.compile(rf"(?:{_AGENCIES})(?:\s*/\s*[\w.-]{{1,12}})*", re.IGNORECASE | re.VERBOSE)
# "BERLIN (dpa) - ", "PARIS, 21 nov (AFP) – ", "WASHINGTON — ", "LAS VEGAS (KLAS) -- ", "القاهرة (رويترز) - ".
_DATELINE = re.compile(
    r"""^(?P<place>[^\W\d_][^\W\d_'’.\s-]*(?:[\s-][^\W\d_][^\W\d_'’.-]*){0,2})
    (?P<date>,\s*[\w.]+(?:,?\s+[\w.]+){0,3})?
    \s*(?:\((?P<paren>[^()]{1,30})\))?
    \s*(?:\.(?:--|[-–—•|])\s*|(?:--|[-–—•|])\s+)(?=\S)""",
    re.VERBOSE,
)
# A line this short that is furniture as a sentence is dropped whole by clean_text.
_SHORT_LINE = 160
# A first line this short with no final period is a headline; a title made from a sentence is cut.
_HEADLINE_MAX = 150
_TITLE_WORDS = 12
_TITLE_CHARS = 60
_QUOTES = '"“”«»„'
_OPENING_ONLY = "„«"

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_MANY_BLANKS = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200e\u200f\ufeff]")


@dataclass(frozen=True)
class Cleaned:
    """The result of cleaning a body of text."""

    text: str
    original_source: str | None
    removed_lines: int


def normalise(text: str) -> str:
    """NFC-normalise, drop control characters, fold runs of spaces, keep paragraph breaks."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_BLANKS.sub("\n\n", "\n".join(lines)).strip()


def is_furniture(line: str) -> bool:
    """True when a line on its own is navigation, footer or widget text."""
    stripped = line.strip()
    return bool(stripped) and len(stripped) <= 80 and bool(_FURNITURE.match(stripped))


def sentence_furniture(sentence: str) -> str | None:
    """Why a sentence is page furniture that must never be quoted, or None when it is text.

    Args:
        sentence: one sentence (or short line) of an article body.

    Returns:
        A short reason ("prompt", "navigation", "sharing", "related link", "credit", "contact",
        "copyright", "wire header", "cookie notice", "teaser cut", "shouting", "not words"), or None.
    """
    text = sentence.strip()
    if not text:
        return None
    for reason, pattern in _SENTENCE_FURNITURE:
        if pattern.search(text):
            return reason
    if _TEASER_END.search(text) or _TEASER_SEAM.search(_outside_quotes(text)):
        return "teaser cut"
    cased = [c for c in text if c.isupper() or c.islower()]
    if len(cased) >= 12 and len(text.split()) > 3 and sum(c.isupper() for c in cased) >= 0.7 * len(cased):
        return "shouting"
    if _mostly_not_words(text):
        return "not words"
    return None


def _mostly_not_words(text: str) -> bool:
    """Whether a line is mostly numbers, symbols and codes ("25.03.2020 | 14:35", "-", "MENAFN0101...")."""
    tokens = text.split()
    letters = [sum(1 for c in token if c.isalpha() or unicodedata.category(c)[0] == "M") for token in tokens]
    if sum(letters) < 0.3 * sum(len(token) for token in tokens):
        return True
    lettered = sum(1 for count in letters if count)
    return lettered < 0.5 * len(tokens) and sum(1 for count in letters if count >= 2) < 5


def _outside_quotes(text: str) -> str:
    """The text with each quoted span replaced by a placeholder word (an elision in a quote is no cut)."""
    return re.sub(r"[\"“„«][^\"“”„«»]*[\"”“»]", "Q", text)


def strip_inline_label(sentence: str) -> str:
    """Remove a section label ("Context:", "Hintergrund:", "BREAKING:") and a dateline from a sentence.

    Only labels from a multilingual lexicon go ("Rehn said: ..." stays), then a leading
    dateline such as "BERLIN (dpa) - " or "WASHINGTON — ".

    Args:
        sentence: one sentence of an article body.

    Returns:
        The sentence without its leading label and dateline; the rest unchanged.
    """
    text = sentence
    for _ in range(3):
        rest = _strip_one_label(text)
        if rest == text:
            break
        text = rest
    return text


def _strip_one_label(text: str) -> str:
    """The text without one leading label or dateline, or the text itself."""
    stripped = text.lstrip()
    match = _INLINE_LABEL.match(stripped)
    if match and stripped[match.end() :].strip():
        return stripped[match.end() :]
    match = _DATELINE.match(stripped)
    if match and stripped[match.end() :].strip():
        place, paren = match.group("place"), match.group("paren")
        cased = [c for c in place if c.isupper() or c.islower()]
        if len(cased) >= 3 and place.isupper():  # "WASHINGTON — ", "LAS VEGAS (KLAS) -- "
            return stripped[match.end() :]
        agency = paren is not None and _AGENCY.fullmatch(paren.strip()) is not None
        if agency and (not cased or place[0].isupper()) and len(place.split()) <= 3:  # "Berlin (dpa) - "
            return stripped[match.end() :]
    return text


def balance_quotes(sentence: str) -> str:
    """Remove quote marks that have no partner in the sentence; balanced text comes back unchanged.

    Whether a mark opens or closes is read from its neighbours (so German „…“, English “…”,
    Swedish ”…” and straight quotes all pair); marks standing alone between spaces use their
    usual direction (« opens, » closes).
    """
    if not any(mark in sentence for mark in _QUOTES):
        return sentence
    openers: list[int] = []
    stray: list[int] = []
    for index, char in enumerate(sentence):
        if char not in _QUOTES:
            continue
        if _opens(sentence, index):
            openers.append(index)
        elif openers:
            openers.pop()
        else:
            stray.append(index)
    stray.extend(openers)
    if not stray:
        return sentence
    chars = list(sentence)
    for index in sorted(stray, reverse=True):
        chars[index] = ""
        # a mark set off by a space ("nécessaire », a", "« Nous") takes that space with it
        after = sentence[index + 1 : index + 2]
        if index > 0 and sentence[index - 1] == " " and (not after or after.isspace() or after in ",.;:!?"):
            chars[index - 1] = ""
        elif after == " " and (index == 0 or sentence[index - 1].isspace()):
            chars[index + 1] = ""
    return "".join(chars).strip()


def _opens(text: str, index: int) -> bool:
    """Whether the quote mark at `index` opens a quotation."""
    char = text[index]
    before = text[index - 1] if index > 0 else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    open_left = before.isspace() or before in "([{-–—/:"
    open_right = after.isspace() or after in ".,;:!?)]}…-–—"
    if open_left and not open_right:
        return True
    if open_right and not open_left:
        return False
    return char in _OPENING_ONLY


def declared_origin(line: str) -> str | None:
    """The outlet a line declares the article comes from, if it is such a line."""
    stripped = line.strip()
    if len(stripped) > 160:
        return None
    for pattern in _ORIGIN_PATTERNS:
        match = pattern.match(stripped)
        if match:
            origin = match.group(1).strip(" .\"'“”«»")
            origin = re.sub(r"^(?:blog|website|site)\s+", "", origin, flags=re.I)
            return origin or None
    return None


def _cut_faq(lines: list[str]) -> list[str]:
    """Drop a FAQ block (heading, then question/answer pairs) that restates the article."""
    for index, line in enumerate(lines):
        if _FAQ_HEADING.match(line.strip()) and index > 0:
            return lines[:index]
    return lines


def clean_text(text: str) -> Cleaned:
    """Strip furniture, FAQ blocks and origin lines from a body; return what remains.

    Args:
        text: the article body as read.

    Returns:
        The cleaned text, the declared origin if any line declared one, and how many lines went.
    """
    lines = normalise(text).split("\n")
    origin: str | None = None
    kept: list[str] = []
    removed = 0
    for line in lines:
        found = declared_origin(line)
        if found:
            origin = origin or found
            removed += 1
        elif is_furniture(line) or (len(line) <= _SHORT_LINE and sentence_furniture(line)):
            removed += 1
        else:
            kept.append(line)
    before_faq = len(kept)
    kept = _cut_faq(kept)
    removed += before_faq - len(kept)
    body = _MANY_BLANKS.sub("\n\n", "\n".join(kept)).strip()
    return Cleaned(text=body, original_source=origin, removed_lines=removed)


def clean_article(article: Article) -> Article:
    """Return a cleaned copy of an article; a declared origin found in the text is kept.

    An article without a title gets one from its opening words; a first body line that
    repeats the title is dropped.
    """
    cleaned = clean_text(article.text)
    title = normalise(article.title).replace("\n", " ")
    text = cleaned.text
    if title:
        text = _drop_repeated_title(title, text)
    else:
        title, text = title_from_text(text)
    return replace(
        article,
        title=title,
        text=text,
        original_source=article.original_source or cleaned.original_source,
    )


def title_from_text(text: str) -> tuple[str, str]:
    """A title taken from a body's opening words, and the body without its headline line.

    A short first line with no final period, followed by more text, is the headline and leaves
    the body; otherwise the first sentence, cut to about twelve words, names the article.
    Labels and datelines ("BERLIN (dpa) - ") are not part of a title.
    """
    first, _, rest = text.partition("\n")
    first = first.strip()
    if first and len(first) <= _HEADLINE_MAX and not first.endswith((".", "。")) and rest.strip():
        return strip_inline_label(first), rest.strip()
    sentences = split_sentences(text)
    if not sentences:
        return "", text
    sentence = strip_inline_label(sentences[0])
    words = sentence.split()
    if len(words) > _TITLE_WORDS:
        return " ".join(words[:_TITLE_WORDS]).rstrip(",;:–—-") + "…", text
    if len(sentence) > _HEADLINE_MAX:  # unspaced scripts: cut by characters
        return sentence[:_TITLE_CHARS].rstrip() + "…", text
    return sentence.rstrip("."), text


def _drop_repeated_title(title: str, text: str) -> str:
    """The body without a first line that repeats the title (case and final punctuation aside)."""
    first, _, rest = text.partition("\n")
    if _fold_title(first) == _fold_title(title) and rest.strip():
        return rest.strip()
    return text


def _fold_title(text: str) -> str:
    """A title compared loosely: case-folded, without surrounding space and final punctuation."""
    return text.strip().rstrip(".!?:;…。！？ ").casefold()
