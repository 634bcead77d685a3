"""The job-view log as the recommender sees it: jobs (the catalogue), views (implicit feedback) and
each applicant's profile text (work experience + positions of interest).

Everything is read once from the catalogue into plain arrays. Views are ordered by ``view_start``
(ties keep catalogue order), which is the order leave-last-out uses.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC


@dataclass
class View:
    applicant_id: str
    job_id: str
    t: float  # seconds since epoch (UTC)
    duration_s: float | None


@dataclass
class JobLog:
    """Jobs and views from the catalogue. ``views`` are sorted by (applicant, time)."""

    job_ids: list[str]
    titles: list[str]
    positions: list[str]
    companies: list[str]
    cities: list[str]
    states: list[str]
    views: list[View]
    profile_text: dict[str, str] = field(default_factory=dict)
    job_index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.job_index:
            self.job_index = {j: i for i, j in enumerate(self.job_ids)}

    def __len__(self) -> int:
        return len(self.job_ids)

    def doc_text(self, i: int) -> str:
        """Title + company + city + state: the text BM25 and the dense model see for a job."""
        return " ".join(
            x for x in (self.positions[i] or self.titles[i], self.companies[i], self.cities[i], self.states[i]) if x
        )

    def history(self, views: list[View] | None = None) -> dict[str, list[View]]:
        out: dict[str, list[View]] = defaultdict(list)
        for v in views if views is not None else self.views:
            out[v.applicant_id].append(v)
        return dict(out)


def _epoch(ts: str) -> float:
    from datetime import datetime

    ts = ts.replace(" UTC", "").strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(ts[:19], fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return float("nan")


def load_log(conn: sqlite3.Connection) -> JobLog:
    """Read jobs, views and applicant profile text from the catalogue."""
    jobs = conn.execute("SELECT id, title, position, company, city, state FROM job ORDER BY id").fetchall()
    views = [
        View(str(a), str(j), _epoch(s), None if d is None else float(d))
        for a, j, s, d in conn.execute(
            "SELECT applicant_id, job_id, view_start, duration_s FROM job_view ORDER BY applicant_id, view_start, rowid"
        )
    ]
    text: dict[str, list[str]] = defaultdict(list)
    for a, pos in conn.execute("SELECT applicant_id, position FROM position_of_interest ORDER BY rowid"):
        if pos:
            text[str(a)].append(pos)
    for a, pos, _employer, city, state in conn.execute(
        "SELECT applicant_id, position, employer, city, state FROM experience ORDER BY rowid"
    ):
        text[str(a)].append(" ".join(x for x in (pos, city, state) if x))
    return JobLog(
        job_ids=[r[0] for r in jobs],
        titles=[r[1] or "" for r in jobs],
        positions=[r[2] or "" for r in jobs],
        companies=[r[3] or "" for r in jobs],
        cities=[r[4] or "" for r in jobs],
        states=[r[5] or "" for r in jobs],
        views=views,
        profile_text={a: " ; ".join(t) for a, t in text.items()},
    )


def leave_last_out(views: list[View], min_views: int = 3) -> tuple[list[View], dict[str, View]]:
    """Split ``views`` (sorted by applicant, time): each applicant with ≥ ``min_views`` views loses
    their last one to the test side. Returns (train views, {applicant: held-out view})."""
    by_user: dict[str, list[View]] = defaultdict(list)
    for v in views:
        by_user[v.applicant_id].append(v)
    train: list[View] = []
    test: dict[str, View] = {}
    for a, vs in by_user.items():
        if len(vs) >= min_views:
            train.extend(vs[:-1])
            test[a] = vs[-1]
        else:
            train.extend(vs)
    return train, test
