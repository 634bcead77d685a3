"""Occupation titles → O*NET codes, keyed for what people type.

The catalogue holds ~72,000 O*NET titles (primary, short, reported by workers, alternate); people
also use words O*NET does not list ("18-wheeler", "sparky", "CNA") or list for the wrong occupation
("teacher" is only an alternate title of postsecondary teachers). :data:`COLLOQUIAL` adds those, a
small committed table; everything else comes from the catalogue.

:meth:`TitleIndex.scan` finds every title in a text (longest match wins where titles overlap), so
"Sr. software engineer on a payments team" yields "software engineer", and a résumé that says
"Store Manager" three times yields it three times.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Container, Mapping
from dataclasses import dataclass

from retrieval.understanding.keys import Word, title_key, words

MAX_TITLE_WORDS = 7
# How much a title of each kind says about its occupation: a worker-reported title is the way people
# talk; an alternate title is often a narrow specialisation that several occupations share.
KIND_WEIGHT = {"primary": 1.0, "short": 1.0, "colloquial": 1.0, "reported": 0.9, "alternate": 0.75}

# Colloquial titles and abbreviations people use that O*NET lacks or files elsewhere.
COLLOQUIAL: dict[str, tuple[str, ...]] = {
    "18 wheeler": ("53-3032.00",),
    "18 wheeler driver": ("53-3032.00",),
    "trucker": ("53-3032.00",),
    "big rig": ("53-3032.00",),
    "semi driver": ("53-3032.00",),
    "semi truck driver": ("53-3032.00",),
    "otr driver": ("53-3032.00",),
    "long haul driver": ("53-3032.00",),
    "long haul trucker": ("53-3032.00",),
    "cdl": ("53-3032.00",),
    "class a driver": ("53-3032.00",),
    "lorry driver": ("53-3032.00",),
    "hgv driver": ("53-3032.00",),
    "delivery driver": ("53-3033.00",),
    "courier": ("53-3033.00", "43-5021.00"),
    "uber driver": ("53-3053.00",),
    "rideshare driver": ("53-3053.00",),
    "taxi driver": ("53-3054.00",),
    "cab driver": ("53-3054.00",),
    "bus driver": ("53-3052.00",),
    "cop": ("33-3051.00",),
    "police officer": ("33-3051.00",),
    "policeman": ("33-3051.00",),
    "policewoman": ("33-3051.00",),
    "firefighter": ("33-2011.00",),
    "fireman": ("33-2011.00",),
    "nurse": ("29-1141.00",),
    "staff nurse": ("29-1141.00",),
    "charge nurse": ("29-1141.00",),
    "floor nurse": ("29-1141.00",),
    "icu nurse": ("29-1141.00",),
    "er nurse": ("29-1141.00",),
    "travel nurse": ("29-1141.00",),
    "med surg nurse": ("29-1141.00",),
    "cna": ("31-1131.00",),
    "care assistant": ("31-1131.00", "31-1122.00"),
    "carer": ("31-1122.00",),
    "care worker": ("31-1122.00",),
    "healthcare assistant": ("31-1131.00",),
    "np": ("29-1171.00",),
    "lpn": ("29-2061.00",),
    "lvn": ("29-2061.00",),
    "teacher": ("25-2021.00", "25-2031.00"),
    "school teacher": ("25-2021.00", "25-2031.00"),
    "primary school teacher": ("25-2021.00",),
    "primary teacher": ("25-2021.00",),
    "secondary school teacher": ("25-2031.00",),
    "high school teacher": ("25-2031.00",),
    "middle school teacher": ("25-2022.00",),
    "grade school teacher": ("25-2021.00",),
    "kindergarten teacher": ("25-2012.00",),
    "teaching assistant": ("25-9042.00",),
    "ta": ("25-9042.00",),
    "professor": ("25-1199.00",),
    "lecturer": ("25-1199.00",),
    "swe": ("15-1252.00",),
    "software engineer": ("15-1252.00",),
    "software dev": ("15-1252.00",),
    "coder": ("15-1252.00", "15-1251.00"),
    "programmer": ("15-1251.00", "15-1252.00"),
    "developer": ("15-1252.00",),
    "dev": ("15-1252.00",),
    "full stack developer": ("15-1252.00", "15-1254.00"),
    "backend developer": ("15-1252.00",),
    "back end developer": ("15-1252.00",),
    "frontend developer": ("15-1254.00",),
    "front end developer": ("15-1254.00",),
    "qa": ("15-1253.00",),
    "qa engineer": ("15-1253.00",),
    "qa tester": ("15-1253.00",),
    "tester": ("15-1253.00",),
    "sdet": ("15-1253.00",),
    "dba": ("15-1242.00",),
    "devops engineer": ("15-1244.00", "15-1252.00"),
    "sysadmin": ("15-1244.00",),
    "system administrator": ("15-1244.00",),
    "it support": ("15-1232.00",),
    "help desk": ("15-1232.00",),
    "helpdesk": ("15-1232.00",),
    "ml engineer": ("15-2051.00",),
    "machine learning engineer": ("15-2051.00",),
    "data engineer": ("15-1243.00", "15-1252.00"),
    "hr": ("13-1071.00",),
    "hr generalist": ("13-1071.00",),
    "hr manager": ("11-3121.00",),
    "recruiter": ("13-1071.00",),
    "hr assistant": ("43-4161.00",),
    "sparky": ("47-2111.00",),
    "chippy": ("47-2031.00",),
    "plumber": ("47-2152.00",),
    "welder": ("51-4121.00",),
    "mechanic": ("49-3023.00",),
    "car mechanic": ("49-3023.00",),
    "auto mechanic": ("49-3023.00",),
    "diesel mechanic": ("49-3031.00",),
    "handyman": ("49-9071.00",),
    "admin assistant": ("43-6014.00",),
    "administrative assistant": ("43-6014.00",),
    "pa": ("43-6011.00",),
    "office manager": ("11-3012.00", "43-1011.00"),
    "receptionist": ("43-4171.00",),
    "bookkeeper": ("43-3031.00",),
    "book keeper": ("43-3031.00",),
    "cpa": ("13-2011.00",),
    "accountant": ("13-2011.00",),
    "financial analyst": ("13-2051.00",),
    "bank teller": ("43-3071.00",),
    "cashier": ("41-2011.00",),
    "shop assistant": ("41-2031.00",),
    "sales assistant": ("41-2031.00",),
    "retail associate": ("41-2031.00",),
    "sales associate": ("41-2031.00",),
    "store manager": ("41-1011.00", "11-1021.00"),
    "shop manager": ("41-1011.00",),
    "retail manager": ("41-1011.00", "11-1021.00"),
    "assistant manager": ("41-1011.00",),
    "shift manager": ("41-1011.00", "35-1012.00"),
    "shift supervisor": ("41-1011.00", "35-1012.00"),
    "waiter": ("35-3031.00",),
    "waitress": ("35-3031.00",),
    "server at a restaurant": ("35-3031.00",),
    "line cook": ("35-2014.00",),
    "cook": ("35-2014.00",),
    "chef": ("35-1011.00",),
    "barista": ("35-3023.00",),
    "bartender": ("35-3011.00",),
    "dishwasher": ("35-9021.00",),
    "warehouse worker": ("53-7062.00",),
    "forklift driver": ("53-7051.00",),
    "forklift operator": ("53-7051.00",),
    "picker": ("53-7065.00",),
    "packer": ("53-7064.00",),
    "emt": ("29-2042.00",),
    "paramedic": ("29-2043.00",),
    # a military medic (the Army's 68W combat medic, the Navy's hospital corpsman) does an EMT's and a paramedic's work;
    # "I was a medic in the army for 6 years" linked nothing and was answered "Which occupation do you mean?"
    "medic": ("29-2042.00", "29-2043.00"),
    "combat medic": ("29-2042.00", "29-2043.00"),
    "army medic": ("29-2042.00", "29-2043.00"),
    "field medic": ("29-2042.00", "29-2043.00"),
    "corpsman": ("29-2042.00", "29-2043.00", "31-9092.00"),
    "hospital corpsman": ("29-2042.00", "29-2043.00", "31-9092.00"),
    "navy corpsman": ("29-2042.00", "29-2043.00", "31-9092.00"),
    "pharmacy tech": ("29-2052.00",),
    "vet tech": ("29-2056.00",),
    "dental hygienist": ("29-1292.00",),
    "social worker": ("21-1021.00", "21-1022.00", "21-1029.00"),
    "counselor": ("21-1012.00", "21-1014.00"),
    "school counselor": ("21-1012.00",),
    "guidance counselor": ("21-1012.00",),
    "therapist": ("21-1013.00", "21-1014.00"),
    "lawyer": ("23-1011.00",),
    "attorney": ("23-1011.00",),
    "paralegal": ("23-2011.00",),
    "legal secretary": ("43-6012.00",),
    "security guard": ("33-9032.00",),
    "bouncer": ("33-9032.00",),
    "janitor": ("37-2011.00",),
    "cleaner": ("37-2012.00", "37-2011.00"),
    "housekeeper": ("37-2012.00",),
    "landscaper": ("37-3011.00",),
    "gardener": ("37-3011.00",),
    "nanny": ("39-9011.00",),
    "childminder": ("39-9011.00",),
    "personal trainer": ("39-9031.00",),
    "hairdresser": ("39-5012.00",),
    "hairstylist": ("39-5012.00",),
    "barber": ("39-5011.00",),
    "graphic designer": ("27-1024.00",),
    "ux designer": ("15-1255.00",),
    "ui designer": ("15-1255.00",),
    "web designer": ("15-1255.00",),
    "marketing manager": ("11-2021.00",),
    "marketer": ("13-1161.00",),
    "project manager": ("13-1082.00",),
    "pm": ("13-1082.00",),
    "product manager": ("11-2021.00", "13-1082.00"),
    "scrum master": ("15-1299.09",),
    "business analyst": ("13-1111.00", "15-1211.00"),
    "data analyst": ("15-2051.01", "15-2041.00"),
    "call center agent": ("43-4051.00",),
    "call centre agent": ("43-4051.00",),
    "customer service rep": ("43-4051.00",),
    "csr": ("43-4051.00",),
    "construction worker": ("47-2061.00",),
    "laborer": ("47-2061.00",),
    "carpenter": ("47-2031.00",),
    "electrician": ("47-2111.00",),
    "soldier": ("55-3016.00",),
    "veteran": ("55-3016.00",),
    # "8 years Army infantry": the primary title, but also a word of the catalogue's prose (Infantry Officers'
    # description), which a one-word title without "I'm" is dropped as
    "infantry": ("55-3016.00",),
    "infantryman": ("55-3016.00",),
    "machinist": ("51-4041.00",),
    "factory worker": ("51-2092.00",),
    "assembly line worker": ("51-2092.00",),
    "pilot": ("53-2011.00",),
    "flight attendant": ("53-2031.00",),
    "real estate agent": ("41-9022.00",),
    "realtor": ("41-9022.00",),
    "estate agent": ("41-9022.00",),
    "journalist": ("27-3023.00",),
    "gp": ("29-1215.00",),
    "general practitioner": ("29-1215.00",),
    "family doctor": ("29-1215.00",),
    "medical doctor": ("29-1215.00", "29-1216.00"),
    "pi": ("33-9021.00",),
    "private investigator": ("33-9021.00",),
    "private eye": ("33-9021.00",),
    "cabin crew": ("53-2031.00",),
    "air hostess": ("53-2031.00",),
    "steward": ("53-2031.00",),
    "train driver": ("53-4011.00",),
    "engine driver": ("53-4011.00",),
    "copy editor": ("27-3041.00",),
    "sen teacher": ("25-2056.00", "25-2057.00"),
    "special ed teacher": ("25-2056.00", "25-2057.00"),
    "special education teacher": ("25-2056.00", "25-2057.00", "25-2058.00"),
    "para": ("25-9043.00",),
    "paraprofessional": ("25-9043.00", "25-9042.00"),
    "network support tech": ("15-1231.00",),
    "network technician": ("15-1231.00",),
    "csi": ("19-4092.00",),
    "crime scene investigator": ("19-4092.00",),
    "painter and decorator": ("47-2141.00",),
    "decorator": ("47-2141.00",),
    "house painter": ("47-2141.00",),
    "site foreman": ("47-1011.00",),
    "foreman": ("47-1011.00", "51-1011.00"),
    "lineworker": ("49-9051.00", "49-9052.00"),
    "lineman": ("49-9051.00", "49-9052.00"),
    "dental lab technician": ("51-9081.00",),
    "dental lab tech": ("51-9081.00",),
    "advocate": ("23-1011.00",),
    "telemarketer": ("41-9041.00",),
    "cold caller": ("41-9041.00",),
    "data entry clerk": ("43-9021.00",),
    "data entry operator": ("43-9021.00",),
    "reporter": ("27-3023.00",),
    "writer": ("27-3043.00",),
    "copywriter": ("27-3043.00",),
    # retail selling as postings and people name it; by meaning alone "Retail Sales Fine Jewelry" read as
    # Jewelers, "Wedding Sales Stylist" as Hairdressers, "Retail Sales Advocate" as Lawyers ("advocate" above)
    "retail sales": ("41-2031.00",),
    "sales advocate": ("41-2031.00",),
    "sales stylist": ("41-2031.00",),
    "beauty advisor": ("41-2031.00",),
    "beauty adviser": ("41-2031.00",),
    "cosmetics sales": ("41-2031.00",),
    "cosmetic sales": ("41-2031.00",),
    # software work named by its layer or platform: without these "backend engineer" is the bare title
    # "engineer" (Electronics Engineers), "full stack engineer" an alternate title of Engineers, All Other
    "backend engineer": ("15-1252.00",),
    "back end engineer": ("15-1252.00",),
    "full stack engineer": ("15-1252.00", "15-1254.00"),
    "fullstack engineer": ("15-1252.00", "15-1254.00"),
    "fullstack developer": ("15-1252.00", "15-1254.00"),
    "frontend engineer": ("15-1254.00", "15-1252.00"),
    "front end engineer": ("15-1254.00", "15-1252.00"),
    "mobile engineer": ("15-1252.00",),
    "mobile developer": ("15-1252.00",),
    "ios engineer": ("15-1252.00",),
    "android engineer": ("15-1252.00",),
    "platform engineer": ("15-1252.00", "15-1244.00"),
    "site reliability engineer": ("15-1252.00", "15-1244.00"),
    "sre": ("15-1252.00", "15-1244.00"),
    "api developer": ("15-1252.00",),
    "api engineer": ("15-1252.00",),
}

#: Everyday words that are also titles of many occupations, and the occupations they mean first. Unlike
#: :data:`COLLOQUIAL` they stay ordinary words in a sentence ("my doctor says no more heavy lifting" is no doctor's
#: text); only the order is decided: "Is it too late to become a doctor?" was answered about Dermatologists ("Doctor"
#: is an alternate title of a dozen physician occupations, dermatologists first by code).
PREFERRED: dict[str, tuple[str, ...]] = {
    "doctor": ("29-1215.00", "29-1216.00"),
    "physician": ("29-1215.00", "29-1216.00"),
}

#: One-word titles that a programming technology right before them makes software work: "Java engineer",
#: "Kotlin dev". Alone, "engineer" is a title of dozens of occupations and links to Electronics Engineers.
SOFTWARE_ROLE_NOUNS = frozenset({"engineer", "developer", "dev", "programmer", "coder"})
#: O*NET commodity categories of the tools software developers write code in.
SOFTWARE_CATEGORIES = (
    "Object or component oriented development software",
    "Web platform development software",
    "Development environment software",
    "Program testing software",
)
#: What such a compound links to: the colloquial "software engineer".
SOFTWARE_TITLE = "software engineer"


# "I teach high school math", "I've been teaching 3rd grade for 8 years": a teacher says where and whom
# they teach more often than their title, and no catalogue title reads that way.
_SCHOOL_LEVELS: dict[str, tuple[str, ...]] = {
    "high school": ("25-2031.00",),
    "secondary school": ("25-2031.00",),
    "middle school": ("25-2022.00",),
    "junior high": ("25-2022.00",),
    "elementary school": ("25-2021.00",),
    "elementary": ("25-2021.00",),
    "primary school": ("25-2021.00",),
    "grade school": ("25-2021.00",),
    "kindergarten": ("25-2012.00",),
    "preschool": ("25-2011.00",),
    "pre k": ("25-2011.00",),
    "special ed": ("25-2056.00", "25-2057.00"),
    "special education": ("25-2056.00", "25-2057.00", "25-2058.00"),
    "esl": ("25-3011.00",),
    "adult education": ("25-3011.00",),
    "community college": ("25-1199.00",),
}
_GRADES = {
    **{g: ("25-2021.00",) for g in ("1st", "first", "2nd", "second", "3rd", "third", "4th", "fourth", "5th", "fifth")},
    **{g: ("25-2022.00",) for g in ("6th", "sixth", "7th", "seventh", "8th", "eighth")},
    **{g: ("25-2031.00",) for g in ("9th", "ninth", "10th", "tenth", "11th", "eleventh", "12th", "twelfth")},
}
for _verb in ("teach", "teaches", "teaching", "taught"):
    for _place, _oids in _SCHOOL_LEVELS.items():
        COLLOQUIAL.setdefault(f"{_verb} {_place}", _oids)
        COLLOQUIAL.setdefault(f"{_verb} at a {_place}", _oids)
        COLLOQUIAL.setdefault(f"{_verb} in a {_place}", _oids)
    for _grade, _oids in _GRADES.items():
        COLLOQUIAL.setdefault(f"{_verb} {_grade} grade", _oids)
        COLLOQUIAL.setdefault(f"{_verb} {_grade} graders", _oids)


@dataclass(frozen=True)
class TitleMatch:
    """A title found in a text: the words it spans and the occupations it names, with weights."""

    start: int
    end: int
    text: str
    key: str
    n_words: int
    occupations: tuple[tuple[str, float], ...]  # (occupation id, kind weight), best first


class TitleIndex:
    """Every O*NET title (and the colloquial table) by match key."""

    def __init__(
        self, entries: dict[str, dict[str, float]], titles: dict[str, str], software_terms: frozenset[str] = frozenset()
    ):
        self.entries = entries
        self.titles = titles
        self.colloquial = frozenset(title_key(t) for t in COLLOQUIAL)
        self.software_terms = software_terms  # title keys of programming languages, frameworks, dev tools

    @classmethod
    def from_db(cls, conn: sqlite3.Connection) -> TitleIndex:
        titles = {oid: t for oid, t in conn.execute("SELECT id, title FROM occupation WHERE taxonomy='onet'")}
        entries: dict[str, dict[str, float]] = defaultdict(dict)

        def add(title: str, oid: str, weight: float) -> None:
            key = title_key(title)
            if key and oid in titles and weight > entries[key].get(oid, 0.0):
                entries[key][oid] = weight

        for oid, title in titles.items():
            add(title, oid, KIND_WEIGHT["primary"])
        for oid, title, kind in conn.execute(
            "SELECT t.occupation_id, t.title, t.kind FROM occupation_title t "
            "JOIN occupation o ON o.id = t.occupation_id WHERE o.taxonomy='onet'"
        ):
            weight = KIND_WEIGHT.get(kind, 0.6)
            add(title, oid, weight)
            # "M1A1 Tank Crewman", "K-9 Police Officer": a model or grade code before the title; people say "tank
            # crewman" ("I served as a tank crewman in the Army" was a sailor, by "crewman")
            code, _, rest = title.partition(" ")
            if any(c.isdigit() for c in code) and len(rest.split()) >= 2:
                add(rest, oid, weight * 0.9)
            # "Registered Nurse (RN)", "Certified Nursing Assistant (CNA)": the bracketed form is a title too
            if "(" in title and title.endswith(")"):
                head, _, inner = title[:-1].partition("(")
                add(head, oid, weight)
                if len(inner.split()) <= MAX_TITLE_WORDS:
                    add(inner, oid, weight * 0.9)
        for title, oids in [*COLLOQUIAL.items(), *PREFERRED.items()]:
            key = title_key(title)
            # the colloquial table decides for its keys: it exists because the catalogue's answer is wrong
            entries[key] = {
                oid: KIND_WEIGHT["colloquial"] * (1.0 if i == 0 else 0.9) for i, oid in enumerate(oids) if oid in titles
            } or entries[key]
        marks = ",".join("?" * len(SOFTWARE_CATEGORIES))
        software = frozenset(
            title_key(alias)
            for (alias,) in conn.execute(
                "SELECT DISTINCT a.alias FROM skill_alias a JOIN skill s ON s.canonical_id = a.skill_id "
                f"WHERE s.kind = 'technology' AND s.category IN ({marks})",
                SOFTWARE_CATEGORIES,
            )
        )
        return cls(dict(entries), titles, frozenset(k for k in software if k))

    def lookup(self, text: str) -> list[tuple[str, float]]:
        """Occupations whose title is exactly ``text`` (up to key normalisation), best first."""
        found = self.entries.get(title_key(text), {})
        return sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))

    def main_title_words(self) -> set[str]:
        """The words of O*NET's own, short and reported titles and of the colloquial table (not of the alternate
        titles, which hold brand and product names): what a misspelt word is corrected to
        (:mod:`retrieval.understanding.spelling`)."""
        main = KIND_WEIGHT["reported"]  # the lowest weight of a main title's kind
        return {w for key, occs in self.entries.items() if max(occs.values(), default=0.0) >= main for w in key.split()}

    def all_title_words(self) -> set[str]:
        """The words of every title the index holds, alternate ones included: words never corrected."""
        return {w for key in self.entries for w in key.split()}

    def scan(self, text: str, corrections: Mapping[int, str] | None = None) -> list[TitleMatch]:
        """Every title in ``text``; a title inside a longer title found at an overlapping place is dropped.
        ``corrections``: the word keys to read instead of misspelt words, by where they start
        (:meth:`retrieval.understanding.spelling.TitleSpelling.corrections`); spans stay the person's."""
        ws: list[Word] = words(text)
        if corrections:
            ws = [Word(corrections.get(w.start, w.key), w.start, w.end) for w in ws]
        found: list[TitleMatch] = []
        for i in range(len(ws)):
            for n in range(min(MAX_TITLE_WORDS, len(ws) - i), 0, -1):
                key = " ".join(w.key for w in ws[i : i + n])
                hit = self.entries.get(key)
                if hit:
                    start, end = ws[i].start, ws[i + n - 1].end
                    occs = tuple(sorted(hit.items(), key=lambda kv: (-kv[1], kv[0])))
                    found.append(TitleMatch(start, end, text[start:end], key, n, occs))
                    break  # the longest title starting here
        return [
            m
            for m in found
            if not any(o is not m and o.start <= m.start and m.end <= o.end and o.n_words > m.n_words for o in found)
        ]

    def technology_roles(self, text: str, matches: list[TitleMatch], ordinary: Container[str]) -> list[TitleMatch]:
        """``matches`` with each bare "engineer"/"developer"/"programmer" that a programming technology
        directly precedes ("Java engineer", "C++ developer", "Django dev") widened to that compound and
        linked as a software engineer. ``ordinary``: everyday words; a technology named by one ("go", "air",
        "flex") counts only where the person capitalised it."""
        target = self.entries.get(title_key(SOFTWARE_TITLE))
        if not target or not self.software_terms:
            return matches
        occs = tuple(sorted(target.items(), key=lambda kv: (-kv[1], kv[0])))
        ws = words(text)
        at = {w.start: i for i, w in enumerate(ws)}
        out = []
        for m in matches:
            i = at.get(m.start)
            if m.n_words == 1 and m.key in SOFTWARE_ROLE_NOUNS and i:
                for n in (3, 2, 1):
                    if i - n < 0:
                        continue
                    head = ws[i - n : i]
                    key = " ".join(w.key for w in head)
                    typed = text[head[0].start : head[-1].end]
                    if key in self.software_terms and not (n == 1 and key in ordinary and typed.islower()):
                        m = TitleMatch(head[0].start, m.end, text[head[0].start : m.end], f"{key} {m.key}", n + 1, occs)
                        break
            out.append(m)
        return out
