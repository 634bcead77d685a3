"""Skill extraction from free text (résumés, job postings, course titles and descriptions).

Three taggers, in the order LinkedIn's recipe runs them (RESEARCH.md, "Skills graph"):

1. **Alias matcher** — an n-gram lookup (up to :data:`MAX_NGRAM` tokens) over the catalogue's own
   aliases (``skill_alias``), longest match first, returning character spans in the *original* text.
   Short or common-word aliases are where precision dies ("R", "Go", "C", "Excel", "Project",
   "Teams", tool acronyms such as "ETC" or "AI"), so they pass only with their original casing and,
   for the most ambiguous ones, a technical context nearby.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from retrieval.artifacts import require_build_allowed
from retrieval.settings import Settings, get_settings
from retrieval.skills import base
from retrieval.skills.texts import TEXTS_VERSION, embedded_skills
from retrieval.threads import torch_threads

EXTRACTOR_VERSION = "3"  # bump when the pickled extractor data changes shape
MAX_NGRAM = 6
#: Confidence of an alias match by alias source (how the alias came to exist).
SOURCE_CONFIDENCE = {
    "label": 0.95, "merged": 0.95, "curated": 0.9, "qualifier": 0.9,
    "esco_alt": 0.85, "vendor": 0.85, "acronym": 0.75,
}
#: Aliases standing for more skills than this are dropped as hopelessly ambiguous.
MAX_SENSES = 3
#: Alias sources that name products rather than abilities.
PRODUCT_SOURCES = frozenset({"acronym", "vendor", "merged", "curated", "qualifier"})
#: Ordinary English words that are also product names, besides those learned from the catalogue's prose.
COMMON_WORDS = frozenset({"excel", "access", "word", "project", "teams", "outlook", "less", "windows", "office",
                          "analytics", "spark", "chef", "puppet", "go", "swift", "unity", "act", "dig", "set",
                          "notes", "dash", "flow", "sage", "visio", "forms", "reports", "sharepoint"})
#: Aliases never matched: generic words that happen to be ESCO alternative labels.
BANNED_ALIASES = frozenset({"field unknown", "it", "ict", "as", "in", "on", "at", "to", "or", "an", "do", "be",
                            "is", "we", "us", "me", "my", "he", "she", "one", "all", "any", "use", "get", "run"})
#: Single words that are skill labels (mostly O*NET element names and vendor-less product names) but
#: in running text almost always mean something generic ("Design of Experiments", "Google Cloud").
GENERIC_SINGLE = frozenset({"design", "installation", "monitoring", "transportation", "mechanical", "administrative",
                            "science", "google", "plan", "analyze", "analyse", "energy", "dies", "logic", "operation",
                            "operations", "repairing", "troubleshooting", "programming", "equipment", "service",
                            "cameras", "coordination", "persuasion", "negotiation", "instructing", "speaking",
                            "monitor", "building", "construction", "production", "processing", "management"})
#: Single-token aliases that also need a technical context word nearby, even with the right casing.
NEEDS_CONTEXT = frozenset({"c", "r", "d", "go", "ant", "pig", "chef", "puppet", "swift", "unity", "julia", "ruby",
                           "act", "dig", "set", "etc", "access", "project", "teams", "word", "outlook",
                           "spark", "maya", "eko", "bob", "aim", "ace", "air", "less", "notes", "dash", "sage"})
TECH_CUES = frozenset({
    "programming", "program", "programs", "language", "languages", "developer", "developers", "development",
    "code", "coding", "software", "framework", "frameworks", "library", "libraries", "scripting", "scripts",
    "technologies", "technology", "tools", "stack", "database", "databases", "proficient", "proficiency",
    "microsoft", "ms", "office", "python", "java", "sql", "javascript", "linux", "unix", "html", "css",
    "api", "apis", "statistical", "compiler", "compilers", "embedded", "backend", "frontend",
})
CONTEXT_WINDOW = 8
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
    """One skill found in a text: the catalogue's id and label, how sure we are, and where it was."""

    skill_id: str
    label: str
    kind: str = ""
    confidence: float = Field(ge=0.0, le=1.0)
    spans: list[tuple[int, int]] = Field(default_factory=list, description="(start, end) in the original text")
    method: Method
    via: str | None = Field(default=None, description="graph method: the child skill that implied this one")


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
    alias: str          # original spelling, for case rules
    source: str
    kind: str


@dataclass
class ExtractorData:
    """Everything the extractor needs, picklable: built once per catalogue fingerprint."""

    fingerprint: str
    entries: dict[tuple[str, ...], list[AliasEntry]]
    labels: dict[str, tuple[str, str]]           # skill id -> (label, kind)
    broader: dict[str, list[str]]                # skill id -> broader skill ids
    common_words: frozenset[str]
    embedded_ids: list[str] = field(default_factory=list)


def _common_words(conn: sqlite3.Connection) -> frozenset[str]:
    """Words that appear in lower case in the catalogue's own prose (ESCO/O*NET descriptions, tasks).

    Such a word matched as a product alias ("access", "project", "teams", "word") needs its product
    casing in the text. Learned from the catalogue so that no English word list must ship.
    """
    counts: Counter[str] = Counter()
    queries = ("SELECT description FROM skill WHERE source = 'esco'", "SELECT text FROM task",
               "SELECT description FROM occupation")
    word = re.compile(r"(?<![\w.])[a-z][a-z\-]+(?![\w])")
    for sql in queries:
        for (text,) in conn.execute(sql):
            counts.update(word.findall(text or ""))
    return frozenset(w for w, n in counts.items() if n >= 3)


def build_data(conn: sqlite3.Connection) -> ExtractorData:
    """Read aliases, labels and the broader hierarchy from the catalogue."""
    rows = conn.execute(
        """
        SELECT a.alias, a.alias_norm, a.skill_id, a.source, s.kind, s.source, s.hot
        FROM skill_alias a JOIN skill s ON s.id = a.skill_id
        WHERE s.kind != 'esco_group'
        """
    ).fetchall()
    ranked: dict[tuple[str, ...], list[tuple[tuple, AliasEntry]]] = defaultdict(list)
    for alias, alias_norm, sid, source, kind, skill_source, hot in rows:
        if alias_norm in BANNED_ALIASES:
            continue
        rank = (0 if source in ("label", "merged") else 1, 0 if skill_source == "esco" else 1, -int(hot), sid)
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
    labels = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, label, kind FROM skill WHERE canonical_id = id")}
    broader: dict[str, list[str]] = defaultdict(list)
    for child, parent in conn.execute(
        "SELECT r.skill_id, r.related_id FROM skill_relation r JOIN skill p ON p.id = r.related_id "
        "WHERE r.relation = 'broader' AND p.kind != 'esco_group' ORDER BY r.skill_id, r.related_id"
    ):
        broader[child].append(parent)
    return ExtractorData(
        fingerprint=base.fingerprint(conn), entries=entries, labels=labels, broader=dict(broader),
        common_words=_common_words(conn), embedded_ids=[sid for sid, _l, _t in embedded_skills(conn)],
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

        Multi-token aliases are specific enough on their own. A single token is judged by what kind
        of alias it is: a product or acronym name (technology skill, vendor-less/acronym/merged alias,
        or a capitalised ESCO label such as "LESS" or "Chef") that is also an ordinary word must be
        spelled exactly as the catalogue spells it, and the most ambiguous ones need a technical
        context; two-letter acronyms derived from long product names ("AI", "ES") are not trusted.
        """
        conf = SOURCE_CONFIDENCE.get(entry.source, 0.8)
        if n > 1:
            return conf
        tok = toks[i]
        norm = tok.norm
        if entry.source == "acronym" and len(norm) <= 2:
            return 0.0
        if norm in GENERIC_SINGLE:
            # Generic words only count in a list of skills ("Skills: Programming, Writing") — never in prose.
            return 0.5 if self._in_list(toks, i, text) else 0.0
        onet_element = entry.kind in ("onet_skill", "onet_knowledge")
        productish = not onet_element and (
            entry.kind == "technology" or entry.source in PRODUCT_SOURCES or any(ch.isupper() for ch in entry.alias)
        )
        common = norm in self.data.common_words or norm in COMMON_WORDS
        if len(norm) <= 2 or (productish and common):
            # "R", "Go", "C#", "Excel", "LESS": the text must spell it as the catalogue does.
            if tok.raw != entry.alias:
                return 0.0
            conf -= 0.1
        if len(norm) == 1 or norm in NEEDS_CONTEXT or (productish and common and entry.source == "vendor"):
            if not self._tech_context(toks, i, text):
                return 0.0
        return conf

    @staticmethod
    def _in_list(toks: list[Token], i: int, text: str) -> bool:
        """The token is an item of a comma/bullet/pipe separated list (résumé skill sections)."""
        before = text[toks[i - 1].end if i else max(0, toks[i].start - 3): toks[i].start]
        after = text[toks[i].end: toks[i + 1].start if i + 1 < len(toks) else toks[i].end + 3]
        seps = set(",;|•*·\n")
        return bool(seps & set(before)) and bool(seps & set(after) or not after.strip())

    def _tech_context(self, toks: list[Token], i: int, text: str) -> bool:
        """A technical cue word or a list of other tools within :data:`CONTEXT_WINDOW` tokens."""
        lo, hi = max(0, i - CONTEXT_WINDOW), min(len(toks), i + CONTEXT_WINDOW + 1)
        for j in range(lo, hi):
            if j != i and toks[j].norm in TECH_CUES:
                return True
        # Lists of tools: "Python, R, SQL" — a comma/slash-separated neighbour that is itself a product alias.
        for j in (i - 1, i + 1):
            if 0 <= j < len(toks):
                gap = text[min(toks[i].end, toks[j].end): max(toks[i].start, toks[j].start)]
                if gap.strip() in {",", "/", "|", ";", "and", "&"} and len(toks[j].norm) > 1:
                    for entry in self.data.entries.get((toks[j].norm,), []):
                        if entry.kind == "technology" or entry.source in ("merged", "vendor"):
                            return True
        return False

    def match_aliases(self, text: str) -> dict[str, ExtractedSkill]:
        """Longest-match alias lookup; repeated mentions raise confidence (noisy-or) and add spans."""
        toks = tokenize(text)
        found: dict[str, ExtractedSkill] = {}
        entries = self.data.entries
        i = 0
        while i < len(toks):
            step = 1
            for n in range(min(MAX_NGRAM, len(toks) - i), 0, -1):
                senses = entries.get(tuple(t.norm for t in toks[i:i + n]))
                if not senses or len(senses) > MAX_SENSES:
                    continue
                entry = senses[0]
                conf = self._accept(entry, toks, i, n, text)
                if conf <= 0:
                    continue
                if len(senses) > 1:
                    conf *= 0.8
                span = (toks[i].start, toks[i + n - 1].end)
                label, kind = self.data.labels.get(entry.skill_id, (entry.alias, entry.kind))
                hit = found.get(entry.skill_id)
                if hit is None:
                    found[entry.skill_id] = ExtractedSkill(skill_id=entry.skill_id, label=label, kind=kind,
                                                           confidence=round(conf, 4), spans=[span], method="alias")
                else:
                    hit.spans.append(span)
                    hit.confidence = round(min(0.99, 1 - (1 - hit.confidence) * (1 - conf)), 4)
                step = n
                break
            i += step
        return found

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
            if piece.count(",") + piece.count("|") >= 3 and len(piece.split()) <= 3 * (piece.count(",") + piece.count("|") + 1):
                continue  # a list of names ("Python, SQL, Tableau, ..."): the alias matcher's job, not meaning's
            words = list(re.finditer(r"\S+", piece))
            for k in range(0, len(words), SEGMENT_WORDS):
                chunk = words[k:k + SEGMENT_WORDS]
                if len(chunk) >= MIN_SEGMENT_WORDS:
                    out.append((s + chunk[0].start(), s + chunk[-1].end()))
        return out

    def _within_budget(self, text: str, segs: list[tuple[int, int]], budget: int,
                       alias_spans: list[tuple[int, int]] | None) -> list[tuple[int, int]]:
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

    def match_embeddings(self, text: str, threshold: float = EMBED_THRESHOLD, top: int = EMBED_TOP, *,
                         use_cache: bool = True, word_budget: int | None = EMBED_WORD_BUDGET,
                         alias_spans: list[tuple[int, int]] | None = None) -> dict[str, ExtractedSkill]:
        """Skills whose label+description is close to a segment of ``text`` (non-technology skills only).

        At most ``word_budget`` words are embedded (None = no limit), keeping extraction fast on long texts.
        """
        from retrieval.embeddings import get_embedder

        segs = self.segments(text)
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
                    found[sid] = ExtractedSkill(skill_id=sid, label=label, kind=kind, confidence=conf,
                                                spans=[span], method="embedding")
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
                    parents[parent] = ExtractedSkill(skill_id=parent, label=label, kind=kind, confidence=conf,
                                                     spans=list(hit.spans), method="graph", via=sid)
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
    ) -> list[ExtractedSkill]:
        """All skills in ``text``, best first. Alias finds win over embedding finds of the same skill."""
        if not text or not text.strip():
            return []
        found = self.match_aliases(text)
        if use_embeddings:
            spans = [span for hit in found.values() for span in hit.spans]
            for sid, hit in self.match_embeddings(text, threshold=threshold, use_cache=use_cache,
                                                  alias_spans=spans).items():
                if sid not in found:
                    found[sid] = hit
        if expand:
            found.update(self.expand(found))
        out = [h for h in found.values() if h.confidence >= min_confidence]
        for h in out:
            h.spans = sorted(set(h.spans))
        out.sort(key=lambda h: (-h.confidence, h.skill_id))
        return out


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


def extract_skills(text: str, *, use_embeddings: bool = True, expand: bool = True,
                   settings: Settings | None = None) -> list[ExtractedSkill]:
    """Convenience wrapper: :meth:`SkillExtractor.extract` with the process-wide extractor."""
    return get_extractor(settings).extract(text, use_embeddings=use_embeddings, expand=expand)
