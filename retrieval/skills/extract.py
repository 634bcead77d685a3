"""Skill extraction from free text (résumés, job postings, course titles and descriptions).

Three taggers, in the order LinkedIn's skills-graph recipe runs them:

1. **Alias matcher** — an n-gram lookup (up to :data:`MAX_NGRAM` tokens) over the catalogue's own
   aliases (``skill_alias``), longest match first, returning character spans in the *original* text.
   Short or common-word aliases are where precision dies ("R", "Go", "C", "Excel", "Project",
   "Teams", tool acronyms such as "ETC" or "AI"), so they pass only with their original casing and,
   for the most ambiguous ones, a technical context nearby. Acronyms stand for a skill only when they
   abbreviate it, and an ambiguous one ("POS": point of sale, or proof of stake?) only with a word of
   that skill nearby (:mod:`retrieval.skills.acronyms`); single common words that are loose ESCO
   synonyms ("draw", "report", "lead") or one-word O*NET element names ("Writing") count only in a
   list of skills; a vendor-less product name made of ordinary words counts only as the catalogue
   spells it ("Visual Basic", not "data management" for SAS Data Management) and, as one word
   ("Cloud", "Word"), beside a product of the same vendor or in a technical context, never as the
   first word of another name ("Cloud Foundry"); words inside an institution's name ("College of
   Engineering and Technology") are not skills. Licences and certifications ("EMT certified",
   "Class A CDL") come from :mod:`retrieval.skills.credentials`, with ``kind="credential"``. By
   default (``precise``) a mention that the text negates or wishes for ("I don't know SQL yet",
   "want to learn Python") is not returned (:mod:`retrieval.skills.scope`).
2. **Embedding tagger** — sentences vs skill ``label: first sentence of description`` for the
   non-technology skills (ESCO skills/knowledge, O*NET elements), for indirect mentions ("I explain
   treatment plans to patients" → "educate patients"). Technology skills are never tagged by meaning:
   a similar sentence is not evidence that someone used a product.
3. **Graph expansion** — knowing a skill implies some knowledge of its ESCO broader skill; parents
   get partial credit (:data:`PARENT_CREDIT` × the child's confidence).

Artifacts (token table, common-word list, broader map, skill-label vectors) are built once per
catalogue fingerprint, pickled under ``index_dir/skills_graph`` and held per process.
"""

from __future__ import annotations

import os
import re
import sqlite3
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from retrieval.artifacts import require_build_allowed
from retrieval.catalogue.vocabulary import CURATED_ALIASES, VENDORS
from retrieval.settings import Settings, get_settings
from retrieval.skills import acronyms, base, credentials, scope
from retrieval.skills.texts import TEXTS_VERSION, embedded_skills
from retrieval.text import normalize_label
from retrieval.threads import torch_threads

EXTRACTOR_VERSION = "4"  # bump when the pickled extractor data changes shape
MAX_NGRAM = 6
#: Confidence of an alias match by alias source (how the alias came to exist).
SOURCE_CONFIDENCE = {
    "label": 0.95,
    "merged": 0.95,
    "curated": 0.9,
    "qualifier": 0.9,
    "esco_alt": 0.85,
    "vendor": 0.85,
    "acronym": 0.75,
}
#: Aliases standing for more skills than this are dropped as hopelessly ambiguous.
MAX_SENSES = 3
#: Alias sources that name products rather than abilities.
PRODUCT_SOURCES = frozenset({"acronym", "vendor", "merged", "curated", "qualifier"})
#: Ordinary English words that are also product names, besides those learned from the catalogue's prose.
COMMON_WORDS = frozenset(
    {
        "excel",
        "access",
        "word",
        "project",
        "teams",
        "outlook",
        "less",
        "windows",
        "office",
        "analytics",
        "spark",
        "chef",
        "puppet",
        "go",
        "swift",
        "unity",
        "act",
        "dig",
        "set",
        "notes",
        "dash",
        "flow",
        "sage",
        "visio",
        "forms",
        "reports",
        "sharepoint",
    }
)
#: Aliases never matched: generic words that happen to be ESCO alternative labels.
BANNED_ALIASES = frozenset(
    {
        "field unknown",
        "it",
        "ict",
        "as",
        "in",
        "on",
        "at",
        "to",
        "or",
        "an",
        "do",
        "be",
        "is",
        "we",
        "us",
        "me",
        "my",
        "he",
        "she",
        "one",
        "all",
        "any",
        "use",
        "get",
        "run",
    }
)
#: Single words that are skill labels (mostly O*NET element names and vendor-less product names) but
#: in running text almost always mean something generic ("Design of Experiments", "Google Cloud").
GENERIC_SINGLE = frozenset(
    {
        "design",
        "installation",
        "monitoring",
        "transportation",
        "mechanical",
        "administrative",
        "science",
        "google",
        "plan",
        "analyze",
        "analyse",
        "energy",
        "dies",
        "logic",
        "operation",
        "operations",
        "repairing",
        "troubleshooting",
        "programming",
        "equipment",
        "service",
        "cameras",
        "coordination",
        "persuasion",
        "negotiation",
        "instructing",
        "speaking",
        "monitor",
        "building",
        "construction",
        "production",
        "processing",
        "management",
    }
)
#: Single-token aliases that also need a technical context word nearby, even with the right casing.
NEEDS_CONTEXT = frozenset(
    {
        "c",
        "r",
        "d",
        "go",
        "ant",
        "pig",
        "chef",
        "puppet",
        "swift",
        "unity",
        "julia",
        "ruby",
        "act",
        "dig",
        "set",
        "etc",
        "access",
        "project",
        "teams",
        "word",
        "outlook",
        "spark",
        "maya",
        "eko",
        "bob",
        "aim",
        "ace",
        "air",
        "less",
        "notes",
        "dash",
        "sage",
    }
)
TECH_CUES = frozenset(
    {
        "programming",
        "program",
        "programs",
        "language",
        "languages",
        "developer",
        "developers",
        "development",
        "code",
        "coding",
        "software",
        "framework",
        "frameworks",
        "library",
        "libraries",
        "scripting",
        "scripts",
        "technologies",
        "technology",
        "tools",
        "stack",
        "database",
        "databases",
        "proficient",
        "proficiency",
        "microsoft",
        "ms",
        "office",
        "python",
        "java",
        "sql",
        "javascript",
        "linux",
        "unix",
        "html",
        "css",
        "api",
        "apis",
        "statistical",
        "compiler",
        "compilers",
        "embedded",
        "backend",
        "frontend",
    }
)
CONTEXT_WINDOW = 8
#: A capitalised product name right after one of these is used as a tool ("track outcomes in Excel").
#: Words right before a capitalised product name that say it is used as a tool: "in Excel", "using Word", and the verbs
#: a person says it with ("I know Excel", "I use Word", "learning Excel", "good at Excel": the skill was not read).
TOOL_PREPOSITIONS = frozenset(
    {"in", "using", "with", "via", "into", "know", "knows", "use", "uses", "used", "learn", "learning", "learned", "at"}
)
#: Words after a product name that end its phrase ("in Word every day", "in Excel daily").
PHRASE_ENDS = frozenset({"every", "daily", "weekly", "each", "too", "as", "from", "so", "but"})
#: Words either side of an ambiguous acronym in which a word of its skill must appear.
ACRONYM_WINDOW = 12
#: Confidence of a credential named in the text.
CREDENTIAL_CONFIDENCE = 0.9
#: Extra words that say an ambiguous curated acronym means its skill ("POS" at a till is point of sale).
ACRONYM_CUES: dict[str, frozenset[str]] = {
    "pos": frozenset(
        {
            "retail",
            "retailer",
            "store",
            "stores",
            "shop",
            "cashier",
            "cashiers",
            "till",
            "tills",
            "checkout",
            "cash",
            "register",
            "sales",
            "customers",
            "merchandising",
            "stock",
            "inventory",
            "transactions",
            "payments",
            "supermarket",
            "grocery",
            "restaurant",
            "bar",
            "hospitality",
        }
    ),
}
#: Words that, before a capitalised phrase, make it the name of an institution rather than a skill.
INSTITUTION_WORDS = frozenset(
    {
        "college",
        "university",
        "institute",
        "institution",
        "school",
        "academy",
        "association",
        "society",
        "department",
        "faculty",
        "club",
        "council",
        "board",
        "polytechnic",
        "centre",
        "center",
        "federation",
        "chamber",
        "union",
    }
)
#: Embedding tagger: cosine threshold, skills kept per segment, words per segment.
EMBED_THRESHOLD = 0.55
EMBED_TOP = 2
SEGMENT_WORDS = 40
#: Words per text sent to the embedding model (≈ 0.35 s single-threaded on 2 shared CPU cores). Long résumés keep the
#: segments that the alias matcher explains least — prose, where indirect mentions live.
EMBED_WORD_BUDGET = 350
#: Shorter segments ("Python - 2 years") carry names, not descriptions: left to the alias matcher.
MIN_SEGMENT_WORDS = 5
#: Graph expansion: a parent's credit relative to its child's confidence.
PARENT_CREDIT = 0.5

Method = Literal["alias", "embedding", "graph"]

_TOKEN = re.compile(r"\.net\b|[^\W_](?:\w|[+#]+(?!\w)|[.\-'’](?=[^\W_]))*|[/&]", re.IGNORECASE)
_SEGMENT_BREAK = re.compile(r"(?:\r?\n|(?<=[.!?;])\s+|\s[•*·▪●◦-]\s|\s\|\s)")


class ExtractedSkill(BaseModel):
    """One skill or credential found in a text: the catalogue's id and label, how sure we are, and where it was."""

    skill_id: str
    label: str
    kind: str = Field(default="", description="the catalogue kind (esco_skill, technology, ...) or 'credential'")
    confidence: float = Field(ge=0.0, le=1.0)
    spans: list[tuple[int, int]] = Field(default_factory=list, description="(start, end) in the original text")
    method: Method
    via: str | None = Field(default=None, description="graph method: the child skill that implied this one")
    credential: str | None = Field(
        default=None,
        description="a licence or certification (kind 'credential'): its stable id in "
        "retrieval.skills.credentials ('cred:emt'); skill_id is then the catalogue skill it certifies, or this id",
    )


@dataclass
class Token:
    norm: str
    start: int
    end: int
    raw: str


def tokenize(text: str) -> list[Token]:
    """Word tokens with spans in ``text``; the normalisation mirrors :func:`retrieval.text.normalize_label`."""
    out = []
    for m in _TOKEN.finditer(text):
        raw = m.group(0)
        norm = unicodedata.normalize("NFKC", raw).lower().replace("’", "").replace("'", "")
        if norm == "&":
            norm = "and"
        out.append(Token(norm, m.start(), m.end(), raw))
    return out


@dataclass
class AliasEntry:
    skill_id: str
    alias: str  # original spelling, for case rules
    source: str
    kind: str


@dataclass
class ExtractorData:
    """Everything the extractor needs, picklable: built once per catalogue fingerprint."""

    fingerprint: str
    entries: dict[tuple[str, ...], list[AliasEntry]]
    labels: dict[str, tuple[str, str]]  # skill id -> (label, kind)
    broader: dict[str, list[str]]  # skill id -> broader skill ids
    common_words: frozenset[str]
    embedded_ids: list[str] = field(default_factory=list)
    ambiguous: frozenset[str] = frozenset()  # acronyms (lower case) with more than one meaning
    cues: dict[str, frozenset[str]] = field(default_factory=dict)  # skill id -> words that say it is meant
    vendors: dict[str, frozenset[str]] = field(default_factory=dict)  # skill id -> vendors of its product names
    credential_links: dict[str, str] = field(default_factory=dict)  # credential id -> catalogue skill it certifies


def _common_words(conn: sqlite3.Connection) -> frozenset[str]:
    """Words that appear in lower case in the catalogue's own prose (ESCO/O*NET descriptions, tasks).

    Such a word matched as a product alias ("access", "project", "teams", "word") needs its product
    casing in the text. Learned from the catalogue so that no English word list must ship.
    """
    counts: Counter[str] = Counter()
    queries = (
        "SELECT description FROM skill WHERE source = 'esco'",
        "SELECT text FROM task",
        "SELECT description FROM occupation",
    )
    word = re.compile(r"(?<![\w.])[a-z][a-z\-]+(?![\w])")
    for sql in queries:
        for (text,) in conn.execute(sql):
            counts.update(word.findall(text or ""))
    return frozenset(w for w, n in counts.items() if n >= 3)


def _curated_rows(conn: sqlite3.Connection, rows: list[tuple], labels: dict[str, tuple[str, str]]) -> list[tuple]:
    """``vocabulary.CURATED_ALIASES`` entries the catalogue does not have yet, as alias rows.

    Curated aliases are written into ``skill_alias`` at ingest; reading the list here too lets a new
    entry work with the next extractor build instead of the next ingest."""
    have = {(r[1], r[2]) for r in rows if r[3] == "curated"}  # a curated pair also derived otherwise is added again
    index: dict[str, list[str]] = defaultdict(list)
    for sid, (label, _kind) in labels.items():
        index[normalize_label(label)].append(sid)
    meta = {r[0]: r[1:] for r in conn.execute("SELECT id, kind, source, hot FROM skill WHERE canonical_id = id")}
    out = []
    for alias, target in CURATED_ALIASES.items():
        norm = normalize_label(alias)
        for sid in index.get(normalize_label(target), []):
            if (norm, sid) not in have and sid in meta and meta[sid][0] != "esco_group":
                out.append((alias, norm, sid, "curated", *meta[sid]))
    return out


def _vendors(label: str, aliases: list[str]) -> frozenset[str]:
    """Vendors whose name starts the skill's label or one of its aliases ("Microsoft Word" → microsoft)."""
    return frozenset(v for v in VENDORS for phrase in [label, *aliases] if phrase.lower().startswith(v + " "))


def build_data(conn: sqlite3.Connection) -> ExtractorData:
    """Read aliases, labels and the broader hierarchy from the catalogue; judge acronym aliases
    (:mod:`retrieval.skills.acronyms`) and link credentials to the skills they certify."""
    rows = conn.execute(
        """
        SELECT a.alias, a.alias_norm, a.skill_id, a.source, s.kind, s.source, s.hot
        FROM skill_alias a JOIN skill s ON s.id = a.skill_id
        WHERE s.kind != 'esco_group'
        """
    ).fetchall()
    labels = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, label, kind FROM skill WHERE canonical_id = id")}
    rows += _curated_rows(conn, rows, labels)
    phrases = acronyms.group_aliases((r[2], r[0]) for r in rows if " " in r[0])
    frequent = acronyms.frequent_words(label for label, _kind in labels.values())
    common = _common_words(conn)
    attested: dict[str, list[tuple[str, str]]] = defaultdict(list)
    curated_acronyms: set[tuple[str, str]] = set()
    vendor_skills: set[str] = set()
    ranked: dict[tuple[str, ...], list[tuple[tuple, AliasEntry]]] = defaultdict(list)
    for alias, alias_norm, sid, source, kind, skill_source, hot in rows:
        if alias_norm in BANNED_ALIASES:
            continue
        label = labels.get(sid, (alias, kind))[0]
        head = normalize_label(re.sub(r"\s*\([^)]*\)\s*$", "", label)).split()
        if source == "esco_alt" and len(head) > 1 and alias_norm in head and alias_norm in common:
            continue  # "report" for "report facts", "computer" for "computer equipment": a word of the label, not a name
        if source == "vendor" and alias == alias.lower() and all(w in common for w in alias_norm.split()):
            continue  # "language" of "SAS language", "operating system" of "Microsoft operating system": not a product name
        if acronyms.is_acronym(alias):
            if source in ("acronym", "esco_alt") and not acronyms.established(
                alias, label, phrases[sid], VENDORS, within=source == "esco_alt", generic=frequent
            ):
                continue  # "POS" of "CAM Commerce ... Point of Sale POS": not an abbreviation of the skill
            attested[alias_norm].append((sid, acronyms.expansion(alias, label, phrases[sid], VENDORS)))
            if source == "curated":
                curated_acronyms.add((alias_norm, sid))
        if source == "vendor":
            vendor_skills.add(sid)
        rank = (
            {"label": 0, "merged": 0, "curated": 1}.get(source, 2),
            0 if alias_norm in head else 1,
            0 if skill_source == "esco" else 1,
            -int(hot),
            sid,
        )
        entry = AliasEntry(sid, alias, source, kind)
        keys = {tuple(t.norm for t in tokenize(alias)), tuple(alias_norm.split())}
        for key in keys:
            if key and len(key) <= MAX_NGRAM:
                ranked[key].append((rank, entry))
    entries: dict[tuple[str, ...], list[AliasEntry]] = {}
    for key, items in ranked.items():
        seen: dict[str, AliasEntry] = {}
        for _rank, entry in sorted(items, key=lambda x: x[0]):
            seen.setdefault(entry.skill_id, entry)
        entries[key] = list(seen.values())
    senses: dict[str, Iterable[str]] = {}
    for acr, meanings in [*acronyms.WORLD_SENSES.items(), *credentials.acronym_senses().items()]:
        senses[acr] = [*senses.get(acr, ()), *meanings]
    ambiguous = acronyms.ambiguous_acronyms(attested, senses)
    cues: dict[str, frozenset[str]] = {}
    for acr in sorted(ambiguous):
        for sid, _key in attested.get(acr, []):
            words = acronyms.cue_words(labels.get(sid, ("", ""))[0], phrases[sid], frequent)
            if (acr, sid) in curated_acronyms:
                words |= ACRONYM_CUES.get(acr, frozenset())
            cues[sid] = cues.get(sid, frozenset()) | words
    by_label: dict[str, str] = {}
    for sid, (label, _kind) in sorted(labels.items()):
        by_label.setdefault(normalize_label(label), sid)
    links = {}
    for cred in credentials.CREDENTIALS:
        linked = next((by_label[normalize_label(lab)] for lab in cred.skills if normalize_label(lab) in by_label), None)
        if linked:
            links[cred.id] = linked
    broader: dict[str, list[str]] = defaultdict(list)
    for child, parent in conn.execute(
        "SELECT r.skill_id, r.related_id FROM skill_relation r JOIN skill p ON p.id = r.related_id "
        "WHERE r.relation = 'broader' AND p.kind != 'esco_group' ORDER BY r.skill_id, r.related_id"
    ):
        broader[child].append(parent)
    return ExtractorData(
        fingerprint=base.fingerprint(conn),
        entries=entries,
        labels=labels,
        broader=dict(broader),
        common_words=common,
        embedded_ids=[sid for sid, _l, _t in embedded_skills(conn)],
        ambiguous=ambiguous,
        cues=cues,
        vendors={sid: _vendors(labels.get(sid, ("", ""))[0], phrases[sid]) for sid in sorted(vendor_skills)},
        credential_links=links,
    )


class SkillExtractor:
    """Alias + embedding + graph skill tagger over one catalogue. Get it with :func:`get_extractor`."""

    def __init__(self, data: ExtractorData, settings: Settings | None = None):
        self.data = data
        self.settings = settings or get_settings()
        self._skill_matrix: np.ndarray | None = None

    # ---------------------------------------------------------------- alias matcher
    def _accept(self, entry: AliasEntry, toks: list[Token], i: int, n: int, text: str) -> float:
        """Confidence for an alias match at tokens ``i:i+n`` after the case/context rules; 0 = reject.

        Any match inside an institution's name is rejected, and a vendor-less product name made only of
        ordinary words counts only as the catalogue spells it. Other multi-token aliases are specific
        enough on their own. A single token is judged by what kind of alias it is: an ambiguous acronym needs a word of
        its skill nearby; a generic word, a one-word O*NET element or a common-word ESCO synonym counts
        only in a list of skills; a product or acronym name (technology skill, vendor-less/acronym/merged
        alias, or a capitalised ESCO label such as "LESS" or "Chef") that is also an ordinary word must be
        spelled exactly as the catalogue spells it, and the most ambiguous ones need a technical
        context; two-letter acronyms derived from long product names ("AI", "ES") are not trusted.
        """
        conf = SOURCE_CONFIDENCE.get(entry.source, 0.8)
        if self._in_institution_name(toks, i, n, text):
            return 0.0
        if n > 1:
            if entry.source == "vendor" and all(self._common(t.norm) for t in toks[i : i + n]):
                # A product name made of ordinary words counts only as the catalogue writes it ("Visual Basic"),
                # so "data management" is not SAS Data Management, nor "operating system" Microsoft's.
                spelled = " ".join(t.raw for t in toks[i : i + n]) == entry.alias
                if not (spelled and entry.alias != entry.alias.lower()):
                    return 0.0
            return conf
        tok = toks[i]
        norm = tok.norm
        if entry.source == "acronym" and len(norm) <= 2:
            return 0.0
        acronym = acronyms.is_acronym(entry.alias)
        if (
            acronym
            and entry.source in ("acronym", "esco_alt")
            and tok.raw != entry.alias
            and not tok.raw.isupper()
            and not self._tech_context(toks, i, text)
        ):
            return 0.0  # "chart in Epic" (the records system) is not "EPIC"; "Jsp, servlet" among tools is JSP
        if (
            acronym
            and norm in self.data.ambiguous
            and not self._sense_cue(entry.skill_id, toks, i)
            and not self._spelled_apart(entry, tok)
        ):
            return 0.0  # "POS" at a till is not "blockchain consensus mechanisms"
        onet_element = entry.kind in ("onet_skill", "onet_knowledge")
        common = self._common(norm)
        if norm in GENERIC_SINGLE or onet_element or (entry.source == "esco_alt" and common and not acronym):
            # Generic words, one-word O*NET elements ("Writing") and loose ESCO synonyms that are ordinary
            # words ("draw", "report", "lead") only count in a list of skills — never in prose.
            return 0.5 if self._in_list(toks, i, text) else 0.0
        productish = (
            entry.kind == "technology" or entry.source in PRODUCT_SOURCES or any(ch.isupper() for ch in entry.alias)
        )
        if len(norm) <= 2 or (productish and common):
            # "R", "Go", "C#", "Excel", "LESS": the text must spell it as the catalogue does (a curated alias
            # written in lower case, "excel", as a name: "Excel", "EXCEL").
            spellings = {entry.alias}
            if entry.alias == entry.alias.lower():
                spellings = (
                    {entry.alias.capitalize(), entry.alias.upper()} if common else spellings | {entry.alias.upper()}
                )
            if tok.raw not in spellings:
                return 0.0
            conf -= 0.1
        if productish and common and entry.source in ("vendor", "curated"):
            # "Cloud" (IBM Cloud), "Database" (Oracle Database), "Word", "Excel": a product of the same vendor as
            # the next list item, or a technical context -- and not the first word of another name ("Cloud Foundry").
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if (
                nxt is not None
                and norm in self.data.common_words
                and self._capitalised(nxt)
                and len(nxt.norm) >= 3
                and text[tok.end : nxt.start].strip() == ""
                and (nxt.norm,) not in self.data.entries
            ):
                return 0.0
            if not (
                self._same_vendor_neighbour(entry, toks, i, 1, text)
                or self._tech_context(toks, i, text)
                or self._used_as_a_tool(toks, i, text)
            ):
                return 0.0
        elif len(norm) == 1 or norm in NEEDS_CONTEXT:
            if not self._tech_context(toks, i, text):
                return 0.0
        return conf

    def _common(self, norm: str) -> bool:
        return norm in self.data.common_words or norm in COMMON_WORDS

    @staticmethod
    def _capitalised(tok: Token) -> bool:
        return tok.raw[:1].isupper()

    def _in_institution_name(self, toks: list[Token], i: int, n: int, text: str) -> bool:
        """The capitalised match is part of a name such as "College of Engineering and Technology" or
        "Mechanical Engineering Student's Association": a place, not a skill. Names run over capitalised
        words (and "of", "and") separated by spaces only; before the match the institution word must
        govern it ("College of ...", "Institute for ...")."""
        if not all(self._capitalised(t) or t.norm in acronyms.STOPWORDS for t in toks[i : i + n]):
            return False

        def joined(a: int, b: int) -> bool:  # tokens a and b (a < b) are neighbours in one name
            return not text[toks[a].end : toks[b].start].strip()

        j = i - 1
        while (
            j >= max(0, i - 4)
            and joined(j, j + 1)
            and (self._capitalised(toks[j]) or toks[j].norm in ("of", "and", "for", "&"))
        ):
            if toks[j].norm in INSTITUTION_WORDS and j + 1 < i and toks[j + 1].norm in ("of", "for", "in"):
                return True
            j -= 1
        for j in range(i + n, min(len(toks), i + n + 3)):
            if not (self._capitalised(toks[j]) and joined(j - 1, j)):
                break
            if toks[j].norm in INSTITUTION_WORDS:
                return True
        return False

    def _spelled_apart(self, entry: AliasEntry, tok: Token) -> bool:
        """The acronym is written exactly as this meaning spells it and as no other does ("iOS", not Cisco's "IOS")."""
        if tok.raw != entry.alias:
            return False
        others = [other for other in self.data.entries.get((tok.norm,), []) if other is not entry]
        return bool(others) and all(other.alias != tok.raw for other in others)

    def _same_vendor_neighbour(self, entry: AliasEntry, toks: list[Token], i: int, n: int, text: str) -> bool:
        """The next or previous item of a list is a product of the same vendor ("Word, Excel, PowerPoint")."""
        vendors = self.data.vendors.get(entry.skill_id, frozenset())
        if not vendors:
            return False
        for step, j in ((-1, i - 1), (1, i + n)):  # the next item of a list: "Word, Excel", "Excel and PowerPoint"
            if 0 <= j < len(toks) and toks[j].norm in ("and", "or"):
                j += step  # "and" as a token of its own: "I know Word and Excel"
            if 0 <= j < len(toks):
                a, b = (j, i) if j < i else (i + n - 1, j)
                gap = text[toks[a].end : toks[b].start]
                if gap.strip() in {",", "/", "|", ";", "and", "&", "or", ", and", ", or"}:
                    for other in self.data.entries.get((toks[j].norm,), [])[:1]:
                        if (
                            other.skill_id != entry.skill_id
                            and self.data.vendors.get(other.skill_id, frozenset()) & vendors
                        ):
                            return True
        return False

    def _sense_cue(self, skill_id: str, toks: list[Token], i: int) -> bool:
        """A word of the skill's own label or aliases near the acronym: the context supports this meaning."""
        cues = self.data.cues.get(skill_id)
        if not cues:
            return False
        for j in range(max(0, i - ACRONYM_WINDOW), min(len(toks), i + ACRONYM_WINDOW + 1)):
            if j == i:
                continue
            w = toks[j].norm
            if w in cues or any((len(c) >= 4 and w.startswith(c)) or (len(w) >= 5 and c.startswith(w)) for c in cues):
                return True
        return False

    @staticmethod
    def _in_list(toks: list[Token], i: int, text: str) -> bool:
        """The token is an item of a comma/bullet/pipe separated list (résumé skill sections)."""
        before = text[toks[i - 1].end if i else max(0, toks[i].start - 3) : toks[i].start]
        last = i + 1 == len(toks)
        after = text[toks[i].end : toks[i].end + 3 if last else toks[i + 1].start]
        seps = set(",;|•*·\n")
        return bool(seps & set(before)) and bool(seps & set(after) or (last and not after.strip()))

    def _used_as_a_tool(self, toks: list[Token], i: int, text: str) -> bool:
        """The capitalised name follows "in", "using", "with", "via" or "into" directly and ends its phrase
        (punctuation, the end, or a small word next): "track outcomes in Excel.", "letters in Word every day",
        "built with Unity and C#" name the product; "a diploma in Clinical research" does not (the word goes on
        as an adjective)."""
        if i == 0 or not self._capitalised(toks[i]):
            return False
        before = toks[i - 1]
        if before.norm not in TOOL_PREPOSITIONS or text[before.end : toks[i].start].strip():
            return False
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        return (
            nxt is None
            or any(ch in ",.;:!?)" for ch in text[toks[i].end : nxt.start])
            or nxt.norm in acronyms.STOPWORDS
            or nxt.norm in PHRASE_ENDS
        )

    def _tech_context(self, toks: list[Token], i: int, text: str) -> bool:
        """A technical cue word or a list of other tools within :data:`CONTEXT_WINDOW` tokens."""
        lo, hi = max(0, i - CONTEXT_WINDOW), min(len(toks), i + CONTEXT_WINDOW + 1)
        for j in range(lo, hi):
            if j != i and toks[j].norm in TECH_CUES:
                return True
        # Lists of tools: "Python, R, SQL" — a comma/slash-separated neighbour that is itself a product alias.
        for j in (i - 1, i + 1):
            if 0 <= j < len(toks):
                gap = text[min(toks[i].end, toks[j].end) : max(toks[i].start, toks[j].start)]
                if gap.strip() in {",", "/", "|", ";", "and", "&"} and len(toks[j].norm) > 1:
                    for entry in self.data.entries.get((toks[j].norm,), []):
                        if entry.kind == "technology" or entry.source in ("merged", "vendor"):
                            return True
        return False

    def match_aliases(
        self, text: str, *, held_only: bool = False, clauses: scope.Clauses | None = None
    ) -> dict[str, ExtractedSkill]:
        """Credentials (:mod:`retrieval.skills.credentials`), then a longest-match alias lookup over the words
        they leave; repeated mentions raise confidence (noisy-or) and add spans. ``held_only``: leave out
        mentions the text negates or wishes for (:func:`retrieval.skills.scope.not_held`); ``clauses``: the
        text's, when the caller has them."""
        toks = tokenize(text)
        found: dict[str, ExtractedSkill] = {}
        clauses = (clauses or scope.Clauses(text)) if held_only else None
        covered = [False] * len(toks)  # tokens inside a credential's span
        for hit in credentials.find_credentials(text):
            for k, t in enumerate(toks):
                if t.start < hit.end and t.end > hit.start:
                    covered[k] = True
            if clauses is not None and clauses.not_held(hit.start, hit.end):
                continue
            cred = hit.credential
            sid = self.data.credential_links.get(cred.id, cred.id)
            label = self.data.labels[sid][0] if sid in self.data.labels else cred.label
            self._add(found, sid, label, "credential", CREDENTIAL_CONFIDENCE, (hit.start, hit.end), credential=cred.id)
        entries = self.data.entries
        norms = [t.norm for t in toks]
        i = 0
        while i < len(toks):
            step = 1
            for n in range(min(MAX_NGRAM, len(toks) - i), 0, -1):
                senses = entries.get(tuple(norms[i : i + n]))
                if not senses or len(senses) > MAX_SENSES:
                    continue
                if any(covered[i : i + n]):
                    continue
                span = (toks[i].start, toks[i + n - 1].end)
                entry, conf = senses[0], self._accept(senses[0], toks, i, n, text)
                for other in senses[1:]:  # an ambiguous acronym: the first meaning its context supports
                    if conf > 0 or not acronyms.is_acronym(entry.alias):
                        break
                    entry, conf = other, self._accept(other, toks, i, n, text)
                if conf <= 0:
                    continue
                step = n
                if clauses is not None and clauses.not_held(*span):
                    break
                if len(senses) > 1:
                    conf *= 0.8
                label, kind = self.data.labels.get(entry.skill_id, (entry.alias, entry.kind))
                self._add(found, entry.skill_id, label, kind, conf, span)
                break
            i += step
        return found

    @staticmethod
    def _add(
        found: dict[str, ExtractedSkill],
        sid: str,
        label: str,
        kind: str,
        conf: float,
        span: tuple[int, int],
        credential: str | None = None,
    ) -> None:
        hit = found.get(sid)
        if hit is None:
            found[sid] = ExtractedSkill(
                skill_id=sid,
                label=label,
                kind=kind,
                confidence=round(conf, 4),
                spans=[span],
                method="alias",
                credential=credential,
            )
        else:
            hit.spans.append(span)
            hit.confidence = round(min(0.99, 1 - (1 - hit.confidence) * (1 - conf)), 4)
            if credential and not hit.credential:
                hit.credential, hit.kind = credential, "credential"

    # ---------------------------------------------------------------- embedding tagger
    def skill_matrix_path(self) -> Path:
        """Where :meth:`skill_matrix` keeps the vectors (named by catalogue, model, text version and size)."""
        from retrieval.embeddings import get_embedder

        tag = base.model_tag(get_embedder(self.settings).model_key, TEXTS_VERSION, len(self.data.embedded_ids))
        return base.artifact_dir(self.settings) / f"skill-vectors-{self.data.fingerprint[:16]}-{tag}.npy"

    def skill_matrix(self) -> np.ndarray:
        """Unit vectors of the embedded skills' texts (rows follow ``data.embedded_ids``), cached on disk."""
        if self._skill_matrix is None:
            from retrieval.embeddings import get_embedder

            embedder = get_embedder(self.settings)
            path = self.skill_matrix_path()
            if path.exists():
                matrix = np.load(path)
            else:
                require_build_allowed(f"the skills artifact {path.name}")
                conn = base.catalogue(self.settings)
                texts = [t for _sid, _label, t in embedded_skills(conn)]
                with torch_threads(settings=self.settings):  # bulk: every embedded skill
                    matrix = embedder.encode(texts).astype(np.float32)
                tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npy")
                np.save(tmp, matrix)
                tmp.replace(path)
            self._skill_matrix = matrix
        return self._skill_matrix

    @staticmethod
    def segments(text: str) -> list[tuple[int, int]]:
        """Sentence-ish segments (by line, sentence end, bullet) of :data:`MIN_SEGMENT_WORDS`..:data:`SEGMENT_WORDS` words."""
        spans, start = [], 0
        for m in _SEGMENT_BREAK.finditer(text):
            spans.append((start, m.start()))
            start = m.end()
        spans.append((start, len(text)))
        out = []
        for s, e in spans:
            piece = text[s:e]
            if piece.count(",") + piece.count("|") >= 3 and len(piece.split()) <= 3 * (
                piece.count(",") + piece.count("|") + 1
            ):
                continue  # a list of names ("Python, SQL, Tableau, ..."): the alias matcher's job, not meaning's
            words = list(re.finditer(r"\S+", piece))
            for k in range(0, len(words), SEGMENT_WORDS):
                chunk = words[k : k + SEGMENT_WORDS]
                if len(chunk) >= MIN_SEGMENT_WORDS:
                    out.append((s + chunk[0].start(), s + chunk[-1].end()))
        return out

    @staticmethod
    def _held_segments(text: str, segs: list[tuple[int, int]], clauses: scope.Clauses) -> list[tuple[int, int]]:
        """Each segment's longest held part (trimmed), where it has :data:`MIN_SEGMENT_WORDS` words or more."""
        out = []
        for s, e in segs:
            pieces = [_trimmed(text, a, b) for a, b in clauses.held_parts(s, e)]
            best = max(pieces, key=lambda p: len(text[p[0] : p[1]].split()), default=None)
            if best is not None and len(text[best[0] : best[1]].split()) >= MIN_SEGMENT_WORDS:
                out.append(best)
        return out

    def _within_budget(
        self, text: str, segs: list[tuple[int, int]], budget: int, alias_spans: list[tuple[int, int]] | None
    ) -> list[tuple[int, int]]:
        """The segments to embed: all if they fit ``budget`` words, else the least alias-covered first."""
        words = [len(text[s:e].split()) for s, e in segs]
        if sum(words) <= budget:
            return segs
        if alias_spans is None:
            alias_spans = [span for hit in self.match_aliases(text).values() for span in hit.spans]

        def covered(seg: tuple[int, int]) -> float:
            inside = sum(min(e, seg[1]) - max(s, seg[0]) for s, e in alias_spans if s < seg[1] and e > seg[0])
            return inside / max(1, seg[1] - seg[0])

        order = sorted(range(len(segs)), key=lambda i: (covered(segs[i]), i))
        keep, used = [], 0
        for i in order:
            if used + words[i] <= budget:
                keep.append(i)
                used += words[i]
        return [segs[i] for i in sorted(keep)]

    def match_embeddings(
        self,
        text: str,
        threshold: float = EMBED_THRESHOLD,
        top: int = EMBED_TOP,
        *,
        use_cache: bool = True,
        word_budget: int | None = EMBED_WORD_BUDGET,
        alias_spans: list[tuple[int, int]] | None = None,
        held_only: bool = False,
        clauses: scope.Clauses | None = None,
    ) -> dict[str, ExtractedSkill]:
        """Skills whose label+description is close to a segment of ``text`` (non-technology skills only).

        At most ``word_budget`` words are embedded (None = no limit), keeping extraction fast on long texts.
        ``held_only``: a segment is cut to its longest part no negation or wish governs, and left out when that
        is shorter than :data:`MIN_SEGMENT_WORDS` (:meth:`retrieval.skills.scope.Clauses.held_parts`); ``clauses``:
        the text's, when the caller has them.
        """
        from retrieval.embeddings import get_embedder

        segs = self.segments(text)
        if held_only:
            segs = self._held_segments(text, segs, clauses or scope.Clauses(text))
        if word_budget is not None:
            segs = self._within_budget(text, segs, word_budget, alias_spans)
        if not segs:
            return {}
        matrix = self.skill_matrix()
        with torch_threads(1):
            vecs = get_embedder(self.settings).encode([text[s:e] for s, e in segs], use_cache=use_cache)
        sims = vecs @ matrix.T
        found: dict[str, ExtractedSkill] = {}
        ids = self.data.embedded_ids
        k = min(top, sims.shape[1])
        best = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for row, span in enumerate(segs):
            for col in best[row]:
                sim = float(sims[row, col])
                if sim < threshold:
                    continue
                sid = ids[col]
                conf = round(min(0.9, 0.4 + (sim - threshold) / (1 - threshold) * 0.8), 4)
                label, kind = self.data.labels[sid]
                hit = found.get(sid)
                if hit is None:
                    found[sid] = ExtractedSkill(
                        skill_id=sid, label=label, kind=kind, confidence=conf, spans=[span], method="embedding"
                    )
                else:
                    hit.spans.append(span)
                    hit.confidence = max(hit.confidence, conf)
        return found

    # ---------------------------------------------------------------- graph expansion
    def expand(self, found: dict[str, ExtractedSkill], credit: float = PARENT_CREDIT) -> dict[str, ExtractedSkill]:
        """ESCO broader skills of what was found, with partial credit; never overrides a direct find."""
        parents: dict[str, ExtractedSkill] = {}
        for sid, hit in found.items():
            for parent in self.data.broader.get(sid, []):
                if parent in found:
                    continue
                conf = round(hit.confidence * credit, 4)
                have = parents.get(parent)
                if have is None or conf > have.confidence:
                    label, kind = self.data.labels.get(parent, (parent, ""))
                    parents[parent] = ExtractedSkill(
                        skill_id=parent,
                        label=label,
                        kind=kind,
                        confidence=conf,
                        spans=list(hit.spans),
                        method="graph",
                        via=sid,
                    )
        return parents

    # ---------------------------------------------------------------- all together
    def extract(
        self,
        text: str,
        *,
        use_embeddings: bool = True,
        expand: bool = True,
        min_confidence: float = 0.0,
        threshold: float = EMBED_THRESHOLD,
        use_cache: bool = True,
        precise: bool = True,
    ) -> list[ExtractedSkill]:
        """All skills and credentials in ``text``, best first. Alias finds win over embedding finds of the same
        skill. ``precise``: only what the text says is held -- negated or wished-for mentions ("I don't know
        SQL yet", "want to learn Python") are left out."""
        if not text or not text.strip():
            return []
        clauses = scope.Clauses(text) if precise else None  # one reading of the clauses for both matchers
        found = self.match_aliases(text, held_only=precise, clauses=clauses)
        if use_embeddings:
            spans = [span for hit in found.values() for span in hit.spans]
            for sid, hit in self.match_embeddings(
                text, threshold=threshold, use_cache=use_cache, alias_spans=spans, held_only=precise, clauses=clauses
            ).items():
                if sid not in found:
                    found[sid] = hit
        if expand:
            found.update(self.expand(found))
        out = [h for h in found.values() if h.confidence >= min_confidence]
        for h in out:
            h.spans = sorted(set(h.spans))
        out.sort(key=lambda h: (-h.confidence, h.skill_id))
        return out


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` without the spaces and joining punctuation at either end."""
    while start < end and (text[start].isspace() or text[start] in ",;:-–—"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:-–—"):
        end -= 1
    return start, end


def extractor_path(settings: Settings, fingerprint: str) -> Path:
    """The pickled extractor data of the catalogue with ``fingerprint``."""
    return base.artifact_dir(settings) / f"extractor-v{EXTRACTOR_VERSION}-{fingerprint[:16]}.pkl"


def get_extractor(settings: Settings | None = None) -> SkillExtractor:
    """The process-wide extractor for this catalogue (artifact pickled per fingerprint)."""
    settings = settings or get_settings()
    conn = base.catalogue(settings)
    fp = base.fingerprint(conn)

    def build() -> SkillExtractor:
        return SkillExtractor(base.cached_pickle(extractor_path(settings, fp), lambda: build_data(conn)), settings)

    return base.memoised(settings, f"extractor:{fp}", build)


def extract_skills(
    text: str, *, use_embeddings: bool = True, expand: bool = True, settings: Settings | None = None
) -> list[ExtractedSkill]:
    """Convenience wrapper: :meth:`SkillExtractor.extract` with the process-wide extractor."""
    return get_extractor(settings).extract(text, use_embeddings=use_embeddings, expand=expand)
