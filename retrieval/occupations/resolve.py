"""Turn what a person typed ("RN", "software developer", "15-1252.00") into an O*NET occupation."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from retrieval.bm25 import BM25Index
from retrieval.text import normalize_label

SOC_CODE = re.compile(r"^\d{2}-\d{4}(\.\d{2})?$")
_KIND_RANK = {"primary": 0, "alternate": 1, "short": 1, "reported": 2}


@dataclass(frozen=True)
class Resolution:
    occupation_id: str
    title: str
    method: str  # code | exact_title | fuzzy_title
    confidence: float


class OccupationResolver:
    """Exact code, then exact (normalised) title among O*NET titles, then BM25 over all titles."""

    def __init__(self, conn: sqlite3.Connection):
        self.titles = {r[0]: r[1] for r in conn.execute("SELECT id, title FROM occupation WHERE taxonomy='onet'")}
        self.exact: dict[str, tuple[int, str]] = {}
        docs: dict[str, list[str]] = {oid: [t] for oid, t in self.titles.items()}
        for oid, title, norm, kind in conn.execute(
            "SELECT t.occupation_id, t.title, t.title_norm, t.kind FROM occupation_title t "
            "JOIN occupation o ON o.id = t.occupation_id WHERE o.taxonomy='onet'"
        ):
            rank = _KIND_RANK.get(kind, 3)
            if norm not in self.exact or rank < self.exact[norm][0]:
                self.exact[norm] = (rank, oid)
            docs[oid].append(title)
        self.index = BM25Index.build((oid, " ; ".join(ts)) for oid, ts in docs.items())

    def resolve(self, text: str) -> Resolution | None:
        text = (text or "").strip()
        if not text:
            return None
        code = text if "." in text else f"{text}.00"
        if SOC_CODE.match(text):
            if code in self.titles:
                return Resolution(code, self.titles[code], "code", 1.0)
            return None
        hit = self.exact.get(normalize_label(text))
        if hit:
            return Resolution(hit[1], self.titles[hit[1]], "exact_title", 1.0 if hit[0] == 0 else 0.9)
        results = self.index.search(text, k=2)
        if not results:
            return None
        (best, score), second = results[0], (results[1][1] if len(results) > 1 else 0.0)
        margin = (score - second) / max(score, 1e-9)
        return Resolution(best, self.titles[best], "fuzzy_title", round(min(0.8, 0.4 + margin), 3))
