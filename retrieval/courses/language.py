"""The language a course is taught in, and the language a person reads.

Only edX declares a course's language. The ingest writes "English" for every Coursera and Udemy row,
which is a default, not a fact: those catalogues hold Spanish, Portuguese, German, Japanese ... titles
("Análisis de Datos de Google", "Aprenda a Investir"). So for those a language is detected.

Why not a detector alone: on short titles the statistical detectors are unreliable (py3langid says
"Spanish" for "The DIY Musician" and "Medical Neuroscience", lingua says "Dutch" for "Learn JavaScript
for beginners"). A title is short, but its words are usually in an English vocabulary or not. So:

1. a declared language (edX) wins;
2. text mostly in a non-Latin script → the detector (it is reliable there);
3. else the title's (and short description's) words are counted as evidence: English if in a vocabulary
   built from the catalogue's own English texts (O*NET and ESCO labels and descriptions, tasks, English
   edX courses), foreign if accented (é, ç, ã, ß) or in the words of the edX courses declared in another
   language; unknown words (brand names, jargon) count for neither. No foreign word, or more English
   than foreign words → English;
4. else the detector's best language other than English.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass

#: Languages the detector may answer (the catalogue's; a closed set keeps short texts from exotic answers).
LANGUAGES = (
    "en",
    "es",
    "pt",
    "fr",
    "de",
    "it",
    "nl",
    "pl",
    "ro",
    "tr",
    "ru",
    "uk",
    "ar",
    "zh",
    "ja",
    "ko",
    "th",
    "id",
    "hi",
)
#: Declared (edX) language names → ISO 639-1.
DECLARED = {
    "english": "en",
    "español": "es",
    "espanol": "es",
    "spanish": "es",
    "français": "fr",
    "francais": "fr",
    "french": "fr",
    "italiano": "it",
    "italian": "it",
    "português": "pt",
    "portugues": "pt",
    "portuguese": "pt",
    "deutsch": "de",
    "german": "de",
    "中文": "zh",
    "chinese": "zh",
    "日本語": "ja",
    "japanese": "ja",
    "اللغة العربية": "ar",
    "arabic": "ar",
    "русский": "ru",
    "russian": "ru",
}
#: Providers whose ``language`` column is a real declaration (the others carry the ingest's default).
DECLARING_PROVIDERS = frozenset({"edx"})
#: Minimum words of profile text before its language is detected (shorter: the default language).
PROFILE_MIN_WORDS = 12
DEFAULT_LANGUAGE = "en"

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")
_ACCENTED = re.compile(r"[À-ÖØ-öø-ɏ]")
_identifier = None
_lock = threading.Lock()


def _detector():
    """py3langid restricted to :data:`LANGUAGES`, with normalised probabilities (loaded once)."""
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import _load_identifier

            _identifier = _load_identifier(norm_probs=True, langs=list(LANGUAGES))
        return _identifier


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "")]


#: Function words of the catalogue's other Latin-script languages that also occur in English texts
#: ("de facto", "la carte") and so must count as foreign evidence, not English.
FOREIGN_FUNCTION_WORDS = frozenset(
    "de del la las los el en con para por que como um uma com do da dos das em seu sua le les des du avec pour "
    "et sur der die das und mit für ein eine il di per della delle al y o e".split()
)


@dataclass(frozen=True)
class Vocabulary:
    """English and foreign words seen in the catalogue's own texts (see :func:`vocabulary`)."""

    english: frozenset[str]
    foreign: frozenset[str]


def vocabulary(conn: sqlite3.Connection) -> Vocabulary:
    """English words: O*NET/ESCO labels and descriptions, occupation and task texts, English edX courses.
    Foreign words: words of the edX courses declared in another language that are not English, plus
    :data:`FOREIGN_FUNCTION_WORDS`."""
    english: set[str] = set()
    foreign: set[str] = set()
    queries = [
        ("SELECT label || ' ' || description FROM skill", english),
        ("SELECT title || ' ' || description FROM occupation", english),
        ("SELECT text FROM task", english),
        ("SELECT title || ' ' || description FROM course WHERE provider = 'edx' AND language = 'English'", english),
        (
            "SELECT title || ' ' || description FROM course WHERE provider = 'edx' AND language != 'English' "
            "AND language != ''",
            foreign,
        ),
    ]
    for q, target in queries:
        try:
            for (text,) in conn.execute(q):
                target.update(w for w in words(text) if len(w) >= 2)
        except sqlite3.Error:  # a catalogue without that table (the synthetic one has no tasks in some tests)
            continue
    foreign = (foreign - english) | FOREIGN_FUNCTION_WORDS
    return Vocabulary(frozenset(english - FOREIGN_FUNCTION_WORDS), frozenset(foreign))


def evidence(text: str, vocab: Vocabulary) -> tuple[int, int]:
    """(English words, foreign words) of ``text``: a word with a non-English Latin letter (é, ç, ã, ß ...)
    or in the foreign vocabulary is foreign; one in the English vocabulary is English; others (brand
    names, jargon: "AngularJS", "Laravel") are neither."""
    en = fo = 0
    for w in words(text):
        if len(w) < 2 and w not in FOREIGN_FUNCTION_WORDS:
            continue
        if _ACCENTED.search(w) or w in vocab.foreign:
            fo += 1
        elif w in vocab.english:
            en += 1
    return en, fo


def detect(text: str, exclude_english: bool = False) -> str:
    """The detector's language for ``text`` (ISO 639-1)."""
    ranked = _detector().rank(text or "")
    for lang, _p in ranked:
        if exclude_english and lang == "en":
            continue
        return lang
    return DEFAULT_LANGUAGE


def _latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(bool(_LATIN.match(c)) for c in letters) / len(letters) if letters else 1.0


def course_language(provider: str, declared: str, title: str, description: str, vocab: Vocabulary) -> str:
    """A course's language: declared (edX) or detected (see the module docstring)."""
    if provider in DECLARING_PROVIDERS and declared.strip():
        code = DECLARED.get(declared.strip().lower())
        if code:
            return code
    text = f"{title}. {description[:200]}" if description else title
    if _latin_share(text) < 0.7:
        return detect(text)
    en, fo = evidence(text, vocab)
    if fo == 0 or en > fo:
        return "en"
    return detect(text, exclude_english=True)


def course_languages(records: Iterable, vocab: Vocabulary) -> dict[str, str]:
    """``{course id: language}`` for catalogue records (:class:`retrieval.courses.catalogue.CourseRecord`)."""
    return {r.id: course_language(r.provider, r.declared_language, r.title, r.description, vocab) for r in records}


def person_language(text: str | None, explicit: str | None = None) -> str:
    """The language to show courses in: ``explicit`` (an ISO code or a language name) if given, else the
    profile text's language when it is long enough to tell, else English."""
    if explicit:
        value = explicit.strip().lower()
        return DECLARED.get(value, value[:2])
    ws = words(text or "")
    if len(ws) < PROFILE_MIN_WORDS:
        return DEFAULT_LANGUAGE
    lang, p = _detector().classify(" ".join(ws[:400]))
    return lang if p >= 0.9 else DEFAULT_LANGUAGE


#: Titles of courses that teach a language to people learning it, by that language: not what its own readers
#: need for a gap in it. An RN moving to nurse practitioner, whose "English Language" gap is a level deeper
#: than nursing asks, was offered "Learn English: Intermediate Grammar" and "English for Journalists".
LEARNER_TITLES: dict[str, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(?:TESOL|ESL|EFL|TOEFL|TOEIC|IELTS|EmSAT)\b"
        r"|\b(?:learn|learning|teach|speak|improve your)\s+english\b"
        r"|\b(?:beginning|elementary|pre-intermediate|intermediate|upper-intermediate|conversational|business"
        r"|general academic|academic)\s+english\b"
        r"|\benglish\s+for\b|\bin\s+english\b|\benglish\s+as\s+a\s+(?:second|foreign)\b"
        r"|\bpronunciation\s+of\b.*\benglish\b",
        re.IGNORECASE,
    ),
}


def for_learners_of(language: str, title: str) -> bool:
    """True when ``title`` is a course teaching ``language`` to its learners ("Learn English: Intermediate
    Grammar", "Write Professional Emails in English", "TESOL Certificate"): never offered to a reader of it."""
    pattern = LEARNER_TITLES.get(language)
    return bool(pattern and pattern.search(title or ""))
