"""Each posting's O*NET occupation, linked from its cleaned title by the same linker that reads a person's
text (:mod:`retrieval.understanding`), and kept on disk.

Why: a cold-start person is matched through the occupation Waypoint understood about them; a posting has
to be in the same terms for the two to meet. Titles are linked once, in ``waypoint build`` (about a
minute per thousand distinct titles), and a server only loads the file (:func:`load_links`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from tqdm.auto import tqdm

from retrieval.artifacts import NotBuilt, require_build_allowed
from retrieval.jobs.data import JobLog
from retrieval.jobs.display import clean_title
from retrieval.settings import Settings

#: bump when the linking (or what is stored) changes. 3: retail-selling titles the linker knows
#: (retrieval/understanding/titles.py COLLOQUIAL); 4: infantry and infantryman in that table
LINKS_VERSION = 4
# "Front Desk Coordinator with Innovative Software Developers", "Cashier at Target", "Driver for Uber":
# the role is the head of the title; what follows names the employer (or client), not the work
_EMPLOYER_TAIL = re.compile(r"\s+(?:with|at|for)\s+(?=[A-Z0-9])")
TOP = 3  # occupations kept per posting


def posting_text(log: JobLog, i: int) -> str:
    """What is linked: the role in the cleaned title a person reads (no "@ company", no location noise, no
    "with/at/for <Employer>" tail: a front-desk job at a software company is not a software job)."""
    title = clean_title(log.positions[i] or log.titles[i], log.companies[i], log.cities[i], log.states[i])
    return role_of(title)


def role_of(title: str) -> str:
    """``title`` up to a capitalised "with"/"at"/"for" tail, when a role remains before it."""
    head = _EMPLOYER_TAIL.split(title, maxsplit=1)[0].strip()
    return head if head else title


def links_path(settings: Settings, fingerprint: str) -> Path:
    key = hashlib.sha1(f"{LINKS_VERSION}|{fingerprint}".encode()).hexdigest()[:12]
    return settings.models_dir / "jobs" / f"posting-occupations-{key}.json"


def link_titles(
    titles: list[str], settings: Settings, show_progress: bool = False
) -> dict[str, list[tuple[str, float]]]:
    """``{title: [(O*NET-SOC, confidence), ...]}`` best first (empty when the linker finds nothing)."""
    import copy

    from retrieval.embeddings import get_embedder
    from retrieval.threads import torch_threads
    from retrieval.understanding.service import get_linker

    shared = get_linker(settings)
    # Titles are catalogue text: embedded in batches (and cached) up front, not one by one inside the linker --
    # the same vectors (unit MiniLM embeddings of the title), at a fraction of the time.
    with torch_threads():
        vectors = get_embedder(settings).encode([t[:4000] for t in titles], show_progress=show_progress)
    lookup = dict(zip(titles, vectors))
    linker = copy.copy(shared)  # a shallow copy with its own embed: the process-wide linker is untouched
    linker.embed = lambda text: lookup[text] if text in lookup else shared.embed(text)
    out: dict[str, list[tuple[str, float]]] = {}
    for t in tqdm(titles, desc="linking posting titles", disable=not show_progress, leave=False):
        links = linker.link_occupations(t) if t.strip() else []
        out[t] = [(o.occupation_id, float(o.confidence)) for o in links[:TOP]]
    return out


def build_links(log: JobLog, settings: Settings, fingerprint: str, show_progress: bool = False) -> Path:
    """Link every posting (loads the file when it exists) and return its path."""
    path = links_path(settings, fingerprint)
    if path.is_file():
        return path
    require_build_allowed(f"the postings' occupations ({path.name})")
    titles = sorted({posting_text(log, i) for i in range(len(log))})
    by_title = link_titles(titles, settings, show_progress)
    links = {log.job_ids[i]: by_title[posting_text(log, i)] for i in range(len(log))}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"version": LINKS_VERSION, "fingerprint": fingerprint, "links": links}))
    os.replace(tmp, path)
    return path


def load_links(settings: Settings, fingerprint: str) -> dict[str, list[tuple[str, float]]]:
    """``{job id: [(O*NET-SOC, confidence), ...]}`` as built; :class:`NotBuilt` when missing."""
    path = links_path(settings, fingerprint)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise NotBuilt(
            f"not built: run `waypoint build` (the postings' occupations, {path.name}, are missing)"
        ) from exc
    return {j: [(str(o), float(c)) for o, c in v] for j, v in data["links"].items()}
