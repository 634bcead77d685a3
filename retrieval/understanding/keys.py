"""Match keys for occupation titles: the same normal form for the catalogue's titles and for what a
person types, so that "counsellor" meets "Counselors", "registered nurse" meets "Registered Nurses"
and "Sr. Software Engineer" meets "Software Engineer".

Titles in O*NET are mostly American and plural; people write singular, British or abbreviated. The
key lower-cases, maps British spellings to American, and singularises each word; both sides go
through it, so a rule that is imperfect for some word (``sales`` → ``sale``) is applied on both
sides alike and still matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# British → American spellings that occur in occupation titles or what people write about their work.
BRITISH = {
    "counsellor": "counselor",
    "counsellors": "counselors",
    "counselling": "counseling",
    "labour": "labor",
    "labourer": "laborer",
    "labourers": "laborers",
    "colour": "color",
    "behaviour": "behavior",
    "behavioural": "behavioral",
    "centre": "center",
    "theatre": "theater",
    "programme": "program",
    "programmes": "programs",
    "licence": "license",
    "licenced": "licensed",
    "defence": "defense",
    "practise": "practice",
    "paediatric": "pediatric",
    "paediatrics": "pediatrics",
    "paediatrician": "pediatrician",
    "anaesthetist": "anesthesiologist",
    "anaesthesia": "anesthesia",
    "anaesthesiologist": "anesthesiologist",
    "orthopaedic": "orthopedic",
    "haematology": "hematology",
    "gynaecology": "gynecology",
    "oestrogen": "estrogen",
    "jewellery": "jewelry",
    "jeweller": "jeweler",
    "travelling": "traveling",
    "modelling": "modeling",
    "organiser": "organizer",
    "organisation": "organization",
    "organisational": "organizational",
    "specialise": "specialize",
    "specialised": "specialized",
    "analyse": "analyze",
    "analysing": "analyzing",
    "catalogue": "catalog",
    "cheque": "check",
    "tyre": "tire",
    "tyres": "tires",
    "aluminium": "aluminum",
    "mould": "mold",
    "moulder": "molder",
    "storey": "story",
    "plough": "plow",
    "grey": "gray",
    "metre": "meter",
    "litre": "liter",
    "optimisation": "optimization",
    "fibre": "fiber",
    "kerb": "curb",
    "draughtsman": "draftsman",
    "draughtsperson": "drafter",
    "solicitor": "lawyer",
    "barrister": "lawyer",
    "lorry": "truck",
    "hgv": "truck",
}
_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*(?:[.'’-][a-z0-9+#]+)*", re.I)
_KEEP_S = ("ss", "us", "is", "ics", "sis", "ous", "as", "ys")
_EXCEPTIONS = {
    "sales",
    "series",
    "news",
    "aids",
    "arts",
    "glass",
    "gas",
    "bus",
    "dos",
    "us",
    "physics",
    "economics",
    "mathematics",
    "logistics",
    "athletics",
    "ethics",
    "robotics",
    "electronics",
}


def singular(word: str) -> str:
    """A cheap singular: good enough because titles and text are keyed by the same rule."""
    if len(word) <= 3 or word in _EXCEPTIONS or word.endswith(_KEEP_S):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def word_key(word: str) -> str:
    w = word.lower().replace("’", "'").replace("'", "")
    w = BRITISH.get(w, w)
    return singular(w)


@dataclass(frozen=True)
class Word:
    key: str
    start: int
    end: int


def words(text: str) -> list[Word]:
    """Words of ``text`` with their keys and character offsets (hyphenated words split: "med-surg")."""
    out: list[Word] = []
    for m in _WORD.finditer(text):
        start = m.start()
        for part in re.split(r"(-)", m.group()):
            if part and part != "-":
                out.append(Word(word_key(part), start, start + len(part)))
            start += len(part)
    return out


def title_key(title: str) -> str:
    """The match key of a whole title: its word keys joined by spaces (punctuation and hyphens dropped)."""
    return " ".join(w.key for w in words(title.replace("&", " and ")))
