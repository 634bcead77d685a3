"""The services behind every front end (REST routes, Gradio UI): recommend, explain, feedback, health.

Routes and UI handlers stay thin: they validate, call one method here and shape the answer. Every
bad input surfaces as a :class:`ServiceError` with an HTTP status and a message a person can act on.
Impressions are logged here, so the REST API and the UI produce the same events.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.api.health import COMPONENTS, HealthMonitor
from app.api.limits import LLMGate
from app.api.metrics import Metrics
from app.api.readiness import ModelReadiness, WarmStep
from app.feedback.exploration import DEFAULT_VARIANT, Explorer, VariantChoice
from app.feedback.policies import activate, configured_sample, impression_fields, make_explorer
from app.feedback.store import EventStore, FeedbackError, get_event_store
from app.security import hash_user_id, log_event, redact_obj
from retrieval.artifacts import ArtifactError, load_only
from retrieval.occupations.about import OccupationFacts, occupation_facts
from retrieval.profile import Profile, ProfileError
from retrieval.settings import BACKEND_NAMES, LLMBackendName, Settings, backend_name, get_settings
from retrieval.sqldb import display
from retrieval.understanding.schema import Goal, Understanding
from retrieval.vectorstore.health import StoreHealth, probe_store

log = logging.getLogger("waypoint.api")

DETERMINISTIC = LLMBackendName.DETERMINISTIC.value


class ServiceError(Exception):
    """An input or availability problem with an HTTP status and a clear message."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Unavailable(ServiceError):
    status = 503
    code = "unavailable"


class Overloaded(Unavailable):
    """Every LLM slot of this process is taken: try again after ``retry_after`` seconds."""

    code = "overloaded"

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


def _dump(obj: Any) -> dict:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if isinstance(obj, dict):
        return obj
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def _explain_function() -> tuple[Callable[..., Any], bool]:
    """The explanation service (``app.explain.service.explain``): one code path for every front end."""
    from app.explain.service import explain

    return explain, True


def _skill_errors() -> tuple[type[Exception], type[Exception]]:
    from retrieval.skills.base import SkillsInputError, UnknownIdError

    return SkillsInputError, UnknownIdError


# ------------------------------------------------------------------------------------------------
_FIT_PATTERNS = [
    re.compile(
        r"\b(?:am i|would i be|i'?m|is it)\s+(?:a\s+)?(?:good|great|right|strong|decent)?\s*(?:fit|match)\s+(?:for|as)\s+(?:an?\s+|the\s+)?(?P<x>.+?)[?.!]*$",
        re.I,
    ),
    re.compile(r"\b(?:could|can|should)\s+i\s+(?:become|be|work as)\s+(?:an?\s+|the\s+)?(?P<x>.+?)[?.!]*$", re.I),
    re.compile(r"^\s*(?:what about|how about|explain|why)\s+(?:an?\s+|the\s+)?(?P<x>.+?)[?.!]*$", re.I),
    # the way into some work: "How do I become an electrician?", "I'm 40. Is it too late to become a doctor?", "What
    # certifications do I need to become a project manager?" (read as small talk or a list by the intent model)
    re.compile(
        r"\b(?:how\s+(?:do|can|could|would|should|might)\s+i|what\s+(?:do|would|will|should)\s+i\s+need(?:\s+to\s+"
        r"(?:do|learn|study|have|know))?|what\s+(?:certifications?|qualifications?|degrees?|training|courses?|skills?|"
        r"education|experience)\s+(?:do|would|will|should)\s+i\s+need|what\s+does\s+it\s+take|(?:is\s+it|am\s+i)\s+too\s+"
        r"(?:late|old))\s+(?:for\s+me\s+)?(?:to\s+)?(?:become|be|work\s+as|get\s+a\s+job\s+as)\s+(?:an?\s+|the\s+)?"
        r"(?P<x>.+?)[?.!]*$",
        re.I,
    ),
]
# Words around a title in a question that are not the title: "a senior data analyst role" → "data analyst".
_TITLE_FILLER = re.compile(
    r"^(?:(?:an?|the|role|job|position|career|of|as|senior|junior|sr\.?|jr\.?)\s+)+|"
    r"(?:\s+(?:role|job|position|career|post|here|now|please))+$",
    re.I,
)
# A "target" that is no title: a question about what is on screen ("why does this role fit me?",
# "explain the recommendation"): the chat answers it for the open or selected recommendation.
_ON_SCREEN = re.compile(r"\b(?:this|that|these|those|(?-i:it)|recommendations?|suggestions?|list|one)\b", re.I)
_NOT_A_TITLE = re.compile(
    r"^(?:does|do|did|is|are|was|were|would|should|can|could|will|am|me|my|you|your|i|not|so|else|more|please)\b|"
    + _ON_SCREEN.pattern,
    re.I,
)
# What follows a title in a question and is no part of it: "Can I become a teacher without a degree?" was asked
# about an occupation called "teacher without a degree"; "at my age", "if I'm 40", "with no experience" likewise.
_AFTER_TITLE = re.compile(
    r"\s*(?:,|\b(?:without|at\s+(?:my\s+age|\d+|age)|if|even|though|although|because|since|given|despite|"
    r"after|before|(?:in|by|within)\s+(?:\d+|a|an|one|two|three|five|ten)\b|"
    r"with(?:\s+(?:no|a|an|my|only|just|little|zero|kids|children|a\s+family))\b|"
    r"(?:right\s+)?now|anymore|someday|one\s+day|eventually|later))\b.*$",
    re.I,
)
SUGGESTIONS = 3


def parse_fit_question(message: str) -> str | None:
    """``"Am I a good fit for data scientist?"`` → ``"data scientist"``; None when not such a question, or
    when it names no occupation ("why does this role fit me?")."""
    for pattern in _FIT_PATTERNS:
        m = pattern.search(message.strip())
        target = _AFTER_TITLE.sub("", m.group("x")).strip(" ?.!,") if m else ""
        if any(ch.isalnum() for ch in target) and not _NOT_A_TITLE.search(target):
            return target
    return None


def asks_about_shown(message: str) -> bool:
    """Whether ``message`` is a fit question about what is on screen rather than a named occupation:
    "why does this role fit me?", "explain the recommendation please"."""
    for pattern in _FIT_PATTERNS:
        m = pattern.search(message.strip())
        if m and _ON_SCREEN.search(m.group("x")):
            return True
    return False


@dataclass
class OccupationMatch:
    """An occupation named by a person (a fit question, a correction): the one it names exactly, or,
    when it names none, the closest titles by meaning to offer instead ("did you mean …?")."""

    query: str
    occupation: tuple[str, str] | None  # (O*NET-SOC code, title)
    suggestions: list[tuple[str, str]]

    def not_found_message(self, quote: Callable[[str], str] = str) -> str:
        """“I couldn't find an occupation called 'astronaut wizard'; did you mean A, B or C?” (Markdown;
        ``quote`` escapes the person's words for it)."""
        message = f"I couldn't find an occupation called “{quote(self.query)}”"
        titles = [f"**{title}**" for _id, title in self.suggestions]
        if not titles:
            return message + ". Try another job title or an O*NET code."
        options = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " or " + titles[-1]
        return f"{message}; did you mean {options}?"


class WaypointService:
    """One per app: settings, events store, exploration policy, metrics and a catalogue connection."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        metrics: Metrics | None = None,
        store: EventStore | None = None,
        explorer: Explorer | None = None,
        explain_fn: Callable[..., Any] | None = None,
    ):
        self.settings = settings or get_settings()
        self.metrics = metrics or Metrics()
        self._store = store
        self.explorer = explorer or make_explorer(self.settings)  # explainer policies, or default/alt phrasing
        self._explain_fn = explain_fn
        self._conn: sqlite3.Connection | None = None
        self._conn_lock = threading.Lock()
        self.llm_gate = LLMGate(self.settings.llm_max_inflight)
        # serving only loads: the build manifest says whether the models exist, the warm-up loads them
        self.models = ModelReadiness(self.settings, self._warm_steps)
        # what /healthz reads: :meth:`health`, cached and refreshed off the request path
        self.health_monitor = HealthMonitor(self.health)

    # ------------------------------------------------------------------ models: load, never build
    @contextmanager
    def _serving(self) -> Iterator[None]:
        """Where a request touches models: refuse (503, "not built: run `waypoint build`") unless the build
        manifest covers these settings, and run under :func:`retrieval.artifacts.load_only` so that no code
        path below can train or build instead of loading."""
        try:
            self.models.require()
            with load_only():
                yield
        except ArtifactError as exc:
            raise Unavailable(exc.message, code=exc.code) from None

    def start_warmup(self) -> None:
        """Load every model in the background now, so the first request after ``/healthz`` says ok is fast
        (``waypoint serve`` calls this at start; until it finishes ``/healthz`` answers 503 ``warming``)."""
        self.models.start_warmup()

    def _warm_steps(self) -> list[WarmStep]:
        """What the warm-up loads: each model once, then one answer of each kind through the request code
        (lazy imports, Qdrant collections, BM25 indexes, label features), writing no events."""
        from retrieval.courses.service import get_course_recommender
        from retrieval.embeddings import get_embedder
        from retrieval.jobs.service import get_job_recommender
        from retrieval.occupations.service import get_occupation_recommender
        from retrieval.skills.extract import get_extractor
        from retrieval.skills.graph import get_graph

        s = self.settings

        def occupations() -> None:
            recommender = get_occupation_recommender(s)
            recommender.store  # noqa: B018 - opens the Qdrant collection (degrades, never fails, when locked)
            recommender._dense("full"), recommender._dense("alt_titles"), recommender._tech_vocab()

        def skills() -> None:
            get_graph(s)
            if s.gap_embeddings:
                get_extractor(s).skill_matrix()
            if s.gap_esco_map:
                from retrieval.skills.esco_map import get_map

                get_map(s)

        # use_cache=False: a cached text would skip loading the model, and the first new query would pay for it
        steps: list[WarmStep] = [
            ("embedding model", lambda: get_embedder(s).encode_one("warm up", use_cache=False)),
            ("occupations", occupations),
            ("skills", skills),
            ("courses", lambda: get_course_recommender(s)._index()),
        ]
        if "jobs" in self.models.check().checked:
            steps.append(("jobs", lambda: get_job_recommender(s)))
        steps.append(("first answers", self._warm_answers))
        return steps

    def _warm_answers(self) -> None:
        """One recommendation of each kind and one explanation (composer, then the LLM) for an occupation of the
        catalogue, straight through the services' code (no impression, no metric, no memory write)."""
        from retrieval.recommend import Kind, recommend

        row = (
            self.catalogue()
            .execute("SELECT id, title FROM occupation WHERE taxonomy = 'onet' ORDER BY id LIMIT 1")
            .fetchone()
        )
        if row is None:
            return
        item_id, title = row
        profile = Profile(occupation=title, text=f"I work as a {title}.")
        for kind in Kind:
            try:
                recommend([profile], kind, 3)
            except ProfileError:
                pass
        fn, _real = self.explain_fn()
        fn(profile, item_id, backend=DETERMINISTIC, session_id=None, variant=None)
        if self.settings.llm_backend != DETERMINISTIC:
            # the LLM's weights, its compiled grammar and the prompt's cached prefix: without this the first
            # "Why?" after /healthz says ok pays seconds for them (an LLM that is down falls back, never fails)
            fn(profile, item_id, backend=self.settings.llm_backend, session_id=None, variant=None)
        # the chat's first message: the understanding (title index, skill aliases) and the intent model
        self._understand(f"I work as a {title}.")
        self.intent(f"I work as a {title}.")
        self.match_occupation(title)

    # ------------------------------------------------------------------ components
    @property
    def store(self) -> EventStore:
        if self._store is None:
            self._store = get_event_store(self.settings.events_target)
        return self._store

    def catalogue(self) -> sqlite3.Connection:
        with self._conn_lock:
            if self._conn is None:
                path = self.settings.catalogue_path
                if not path.exists():
                    raise Unavailable(f"catalogue not built at {path}: run `waypoint ingest` first")
                self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            return self._conn

    def explain_fn(self) -> tuple[Callable[..., Any], bool]:
        """The explanation function bound to this service's settings (when it takes ``settings``)."""
        if self._explain_fn is not None:
            return self._explain_fn, True
        fn, real = _explain_function()
        try:
            takes_settings = "settings" in inspect.signature(fn).parameters
        except (TypeError, ValueError):
            takes_settings = False
        if takes_settings:
            return functools.partial(fn, settings=self.settings), real
        return fn, real

    # ------------------------------------------------------------------ items
    _ITEM_TABLES = (
        ("occupation", "occupation"),
        ("job_posting", "posting"),
        ("job", "job"),
        ("course", "course"),
        ("skill", "skill"),
    )

    def item_kind(self, item_id: str) -> tuple[str, str] | None:
        """``(kind, title)`` of a catalogue item, or None."""
        conn = self.catalogue()
        with self._conn_lock:
            for table, kind in self._ITEM_TABLES:
                title_col = "label" if table == "skill" else "title"
                try:
                    row = conn.execute(f"SELECT {title_col} FROM {table} WHERE id = ?", (item_id,)).fetchone()
                except sqlite3.OperationalError:
                    row = conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (item_id,)).fetchone()
                if row is not None:
                    return kind, (row[0] if isinstance(row[0], str) else item_id)
        return None

    def resolve_occupation(self, text: str) -> tuple[str, str] | None:
        """An O*NET occupation ``(id, title)`` that ``text`` names exactly (a code, or a title), else None."""
        return self.match_occupation(text).occupation

    def match_occupation(self, text: str, suggestions: int = SUGGESTIONS) -> OccupationMatch:
        """The occupation ``text`` names: an O*NET-SOC code, or a title the catalogue or the colloquial table
        knows ("RN", "counsellor", "a senior data analyst role"). Never a nearest guess: a title it does
        not know ("astronaut wizard") comes back unmatched, with the closest titles by meaning as
        suggestions, so a fit question is never silently answered for another occupation."""
        from retrieval.occupations.resolve import SOC_CODE
        from retrieval.understanding.service import get_linker

        query = " ".join((text or "").split()).strip(" ?.!,;:\"'“”‘’")
        if not query:
            return OccupationMatch(query, None, [])
        with self._serving():
            linker = get_linker(self.settings)
            if SOC_CODE.match(query):
                from retrieval.occupations.service import get_occupation_recommender

                code = get_occupation_recommender(self.settings).resolver.resolve(query)
                return OccupationMatch(query, (code.occupation_id, code.title) if code else None, [])
            bare = _TITLE_FILLER.sub("", query).strip()
            # "Am I a good fit for pharmasist?": the title it misspells (retrieval.understanding.spelling)
            fixed = linker.spelling.correct_phrase(bare) if linker.spelling is not None and bare else None
            for candidate in dict.fromkeys((query, bare, fixed or "")):
                found = linker.titles.lookup(candidate) if candidate else []
                if found:
                    oid = found[0][0]
                    return OccupationMatch(query, (oid, linker.titles.titles[oid]), [])
            return OccupationMatch(query, None, linker.nearest_titles(query, suggestions))

    def occupation_facts(self, occupation_id: str) -> OccupationFacts | None:
        """What the catalogue says about one occupation (:func:`retrieval.occupations.about.occupation_facts`), for a
        question about it; None when it is not in the catalogue."""
        with self._serving():
            return occupation_facts(occupation_id, self.settings)

    def most_posted(self, k: int = 8) -> tuple[list[tuple[str, str, int]], int]:
        """The ``k`` occupations the job log's postings are most for ``(id, title, postings)``, and how many postings
        there are: what the data can say to "Which jobs are in demand?" (it holds no labour-market statistics)."""
        from retrieval.jobs.service import get_job_recommender
        from retrieval.occupations.service import get_occupation_recommender

        with self._serving():
            jobs = get_job_recommender(self.settings)
            counts = jobs.occupation_postings()
            corpus = get_occupation_recommender(self.settings).corpus
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        titles = [corpus.titles[corpus.index[oid]] if oid in corpus.index else oid for oid, _n in top]
        return [(oid, title, n) for (oid, n), title in zip(top, titles)], len(jobs.log.titles)

    def understand(self, text: str) -> Understanding:
        """What a self-description or a résumé says about the person
        (:func:`retrieval.understanding.service.understand`): occupations, skills and goals, each with
        the words that support it, or a status and message for text Waypoint cannot use."""
        limit = self.settings.max_text_chars
        if text is not None and len(text) > limit:
            raise ServiceError(
                f"text is {len(text):,} characters; the limit is {limit:,}", status=413, code="payload_too_large"
            )
        with self._serving():
            understood = self._understand(text or "")
        if understood.status in ("understood", "no_occupation"):  # text it cannot use leaves no trace
            # what was found, never the text or the spans (they quote the person)
            log_event(
                log,
                "understand",
                status=understood.status,
                occupations=len(understood.occupations),
                skills=len(understood.skills),
                goals=len(understood.goals),
            )
        return understood

    def _understand(self, text: str) -> Understanding:
        from retrieval.understanding.service import understand

        return understand(text, self.settings)

    def resolve_goal(self, text: str) -> Goal:
        """A goal as the person typed it ("finance", "lawyer", "learn Python") → what it targets; an
        unknown one is a clear 400 naming it, never a silent guess."""
        from retrieval.understanding.recommend import resolve_goal
        from retrieval.understanding.service import get_linker

        with self._serving():
            try:
                return resolve_goal(get_linker(self.settings), text)
            except ProfileError as exc:
                raise ServiceError(str(exc)) from None

    def intent(self, message: str) -> tuple[str, str]:
        """``(intent, model)`` of a chat message: the SetFit intent classifier
        (:func:`retrieval.rerankers.setfit_models.predict_intent`; its few-shot nearest-centroid fallback
        where the model is not trained, ``model`` says which). One of
        :data:`retrieval.rerankers.intent_examples.INTENTS`."""
        from retrieval.rerankers.setfit_models import predict_intent

        if not (message or "").strip():
            return "other", "none"
        with self._serving():
            prediction = predict_intent([message], self.settings)[0]
        return prediction.label, prediction.model

    # ------------------------------------------------------------------ recommend
    def recommend(
        self,
        profile: Profile,
        kind: str = "occupation",
        k: int = 10,
        *,
        session_id: str | None = None,
        surface: str = "list",
        log_impression: bool = True,
        with_understanding: bool = True,
    ) -> dict:
        """The list for ``profile``; with its text's :class:`Understanding` (``understanding``) when it has
        text, so a client can show what the list was built from and let the person correct it. A profile
        whose text Waypoint cannot use, or whose goal it does not know, is a 400 with the reason."""
        from retrieval.catalogue.errors import IngestError
        from retrieval.recommend import Kind, recommend

        try:
            kind_value = Kind(kind)
        except ValueError:
            raise ServiceError(
                f"unknown kind {kind!r}; choose one of: {', '.join(x.value for x in Kind)}",
                status=422,
                code="validation_error",
            ) from None
        if not 1 <= int(k) <= 200:
            raise ServiceError("k must be between 1 and 200", status=422, code="validation_error")
        SkillsInputError, UnknownIdError = _skill_errors()
        try:
            with self._serving():
                result = recommend([profile], kind_value, int(k))[0]
        except UnknownIdError as exc:
            raise NotFound(str(exc)) from None
        except (ProfileError, SkillsInputError) as exc:
            raise ServiceError(str(exc)) from None
        except IngestError as exc:
            raise Unavailable(str(exc)) from None
        out = _dump(result)
        out["kind"] = kind_value.value
        if profile.text and with_understanding:
            with self._serving():
                out["understanding"] = self._understand(profile.text).model_dump(mode="json")
        if log_impression and result.items:
            out["impression_id"] = self.log_list_impression(
                [i.id for i in result.items], profile, kind_value.value, surface=surface, session_id=session_id, k=k
            )
        log_event(
            log,
            "recommend",
            kind=kind_value.value,
            k=k,
            n=len(result.items),
            user_id=profile.user_id,
            session=session_id,
        )
        return out

    def log_list_impression(
        self, ids: list[str], profile: Profile, kind: str, *, surface: str, session_id: str | None, k: int
    ) -> str:
        """Log that the list ``ids`` was shown: what :meth:`recommend` logs, for a caller that shows only part of
        what it asked for (the chat asks for more postings than it shows when a request names a place, and the
        log must hold what the person saw)."""
        impression_id = self.store.log_impression(
            items=ids,
            session_id=session_id,
            user_id=profile.user_id,
            surface=surface,
            item_kind=kind,
            variant=None,
            propensity=1.0,
            payload={"profile": _profile_payload(profile), "k": k},
        )
        self.metrics.impressions.labels(surface=surface, variant="none").inc()
        return impression_id

    # ------------------------------------------------------------------ explain
    def choose_variant(self, variant: str | None) -> VariantChoice:
        """The logging policy's choice, or the arm asked for: a registered policy's (``<policy>-s<k>``), a
        sampled decoding of the configured LLM (``base-s<k>``, "Explain differently" without policy
        exploration), or a phrasing variant."""
        if not variant:
            return self.explorer.choose()
        if isinstance(self.explorer, Explorer):
            sampled = configured_sample(self.settings, variant)
            if sampled is not None:
                return sampled
        return self.explorer.fixed(variant)

    def explain(
        self,
        profile: Profile,
        item_id: str,
        *,
        backend: str | None = None,
        variant: str | None = None,
        session_id: str | None = None,
        impression_id: str | None = None,
        position: int | None = None,
        shown: list[str] | None = None,
        surface: str = "explanation",
        log_impression: bool = True,
        on_busy: str = "fallback",
    ) -> dict:
        """Explain ``item_id`` for ``profile`` and log the impression.

        When every LLM slot (``llm_max_inflight``) is taken, ``on_busy="reject"`` raises
        :class:`Overloaded` (REST answers 503 with Retry-After: a client can retry) and ``"fallback"``
        writes the deterministic explanation at once (a person in the UI would rather read that now).
        """
        item_id, found, backend, uses_llm, busy = self._admit_explanation(item_id, backend, on_busy)
        try:
            with self._serving():
                out, choice, elapsed = self._explain_once(
                    profile, item_id, backend=backend, variant=variant, session_id=session_id
                )
        finally:
            if uses_llm:
                self.llm_gate.leave()
        return self._finish_explanation(
            out,
            choice,
            elapsed,
            profile,
            item_id,
            found,
            busy=busy,
            backend=backend,
            session_id=session_id,
            impression_id=impression_id,
            position=position,
            shown=shown,
            surface=surface,
            log_impression=log_impression,
        )

    def _explain_once(
        self, profile: Profile, item_id: str, *, backend: str | None, variant: str | None, session_id: str | None
    ) -> tuple[dict, VariantChoice, float]:
        """One explanation (the LLM's, or the composer's when the LLM path fails) and how long it took."""
        choice = self.choose_variant(variant)
        fn, _real = self.explain_fn()
        SkillsInputError, UnknownIdError = _skill_errors()
        started = time.perf_counter()
        fallback_note = None
        try:
            with activate(choice):  # the chosen explainer policy writes it; what it wrote goes into choice.record
                explanation = fn(
                    profile,
                    item_id,
                    backend=backend,
                    session_id=session_id,
                    variant=None if choice.variant == DEFAULT_VARIANT else choice.variant,
                )
        except UnknownIdError as exc:
            raise NotFound(str(exc)) from None
        except (ProfileError, SkillsInputError) as exc:
            raise ServiceError(str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - the LLM path failing must degrade, never 500
            if backend == DETERMINISTIC and isinstance(exc, ValueError):
                raise ServiceError(str(exc)) from None
            if backend == DETERMINISTIC:
                raise
            log.warning("explain failed on backend %s (%s); falling back to deterministic", backend, type(exc).__name__)
            fallback_note = f"error:{type(exc).__name__}"
            try:
                explanation = fn(profile, item_id, backend=DETERMINISTIC, session_id=session_id, variant=None)
            except UnknownIdError as exc2:
                raise NotFound(str(exc2)) from None
            except (ProfileError, SkillsInputError, ValueError) as exc2:
                raise ServiceError(str(exc2)) from None
        out = _dump(explanation)
        elapsed = time.perf_counter() - started
        if fallback_note and not out.get("fallback_reason"):
            out["fallback_reason"] = fallback_note
        return out, choice, elapsed

    def _admit_explanation(
        self, item_id: str, backend: str | None, on_busy: str
    ) -> tuple[str, tuple[str, str], str | None, bool, bool]:
        """Check an explanation request and take an LLM slot for it: ``(item_id, (kind, id), backend, uses_llm,
        busy)``. A full gate raises :class:`Overloaded` (``on_busy="reject"``) or switches the request to the
        composer (``busy``); whoever gets ``uses_llm`` must ``llm_gate.leave()`` once done."""
        item_id = (item_id or "").strip()
        if not item_id:
            raise ServiceError("item_id is empty", status=422, code="validation_error")
        if backend is not None:
            try:
                backend = backend_name(backend).value
            except ValueError:
                raise ServiceError(
                    f"unknown backend {backend!r}; choose one of: {', '.join(BACKEND_NAMES)}",
                    status=422,
                    code="validation_error",
                ) from None
        found = self.item_kind(item_id)
        if found is None:
            raise NotFound(
                f"unknown item id {item_id!r}: not an occupation, job posting, job, course or skill in the catalogue"
            )
        uses_llm = (backend or self.settings.llm_backend) != DETERMINISTIC
        if uses_llm and not self.llm_gate.try_enter():
            if on_busy == "reject":
                raise Overloaded(
                    f"the explainer is busy ({self.llm_gate.capacity} explanations in progress); "
                    "retry shortly, or ask for backend 'deterministic'",
                    retry_after=5.0,
                )
            return item_id, found, DETERMINISTIC, False, True
        return item_id, found, backend, uses_llm, False

    def _finish_explanation(
        self,
        out: dict,
        choice: VariantChoice,
        elapsed: float,
        profile: Profile,
        item_id: str,
        found: tuple[str, str],
        *,
        backend: str | None,
        session_id: str | None,
        impression_id: str | None,
        position: int | None,
        shown: list[str] | None,
        surface: str,
        log_impression: bool,
        busy: bool = False,
    ) -> dict:
        """Metrics, the impression row and the log line of a finished explanation (``busy``: it fell back to
        the composer because every LLM slot was taken, which its ``fallback_reason`` then says)."""
        if busy and not out.get("fallback_reason"):
            out["fallback_reason"] = "busy: every LLM slot was taken"
        model = out.get("model") or {}
        used_backend = str(model.get("backend") or backend or DETERMINISTIC)
        self.metrics.explanations.labels(
            backend=used_backend,
            model=str(model.get("name") or ""),
            adapter=str(model.get("adapter") or ""),
            variant=choice.variant,
        ).inc()
        self.metrics.explain_latency.labels(backend=used_backend).observe(elapsed)
        if out.get("faithfulness") is not None:
            self.metrics.faithfulness.observe(float(out["faithfulness"]))
        if out.get("fallback_reason"):
            reason = str(out["fallback_reason"]).split(":")[0][:40]
            self.metrics.fallbacks.labels(reason=reason).inc()
        out["variant"] = out.get("variant") or choice.variant
        out["propensity"] = choice.propensity
        if log_impression:
            shown_ids = list(shown) if shown else [item_id]
            if item_id not in shown_ids:
                shown_ids.append(item_id)
            out["impression_id"] = self.store.log_impression(
                items=[item_id],
                positions=[position if position is not None else shown_ids.index(item_id)],
                shown=shown_ids,
                session_id=session_id,
                user_id=profile.user_id,
                impression_id=impression_id,
                surface=surface,
                item_kind=(out.get("item") or {}).get("kind") or found[0],
                variant=choice.variant,
                propensity=choice.propensity,
                model=model,
                faithfulness=out.get("faithfulness"),
                payload={
                    "profile": _profile_payload(profile),
                    "fit": out.get("fit"),
                    "summary": out.get("summary"),
                    "explored": choice.explored,
                    "fallback_reason": out.get("fallback_reason"),
                    **impression_fields(choice, out),
                },
            )
            self.metrics.impressions.labels(surface=surface, variant=choice.variant).inc()
        log_event(
            log,
            "explain",
            item=item_id,
            backend=used_backend,
            variant=choice.variant,
            faithfulness=out.get("faithfulness"),
            fallback=out.get("fallback_reason"),
            user_id=profile.user_id,
            session=session_id,
            ms=round(elapsed * 1000, 1),
        )
        return out

    # ------------------------------------------------------------------ gap
    def gap(self, profile: Profile, item_id: str) -> dict:
        from retrieval.skills.gap import Profile as GapProfile, skill_gap

        SkillsInputError, UnknownIdError = _skill_errors()
        try:
            gp = GapProfile(occupation=profile.occupation, skills=profile.skills, text=profile.text)
            with self._serving():
                return skill_gap(gp, item_id, self.settings, use_embeddings=False).model_dump(mode="json")
        except UnknownIdError as exc:
            raise NotFound(str(exc)) from None
        except SkillsInputError as exc:
            raise ServiceError(str(exc)) from None

    # ------------------------------------------------------------------ feedback
    def feedback(self, event: dict) -> dict:
        """Store one feedback event: ``type`` click | dwell | thumbs | correction | impression."""
        kind = event.get("type")
        common = dict(
            impression_id=event.get("impression_id"), session_id=event.get("session_id"), user_id=event.get("user_id")
        )
        try:
            if kind == "click":
                event_id = self.store.log_click(item_id=event["item_id"], position=event.get("position"), **common)
            elif kind == "dwell":
                event_id = self.store.log_dwell(
                    item_id=event["item_id"], dwell_ms=event.get("dwell_ms"), position=event.get("position"), **common
                )
            elif kind == "thumbs":
                if event.get("up") is None:
                    raise FeedbackError("thumbs feedback needs up: true or false")
                event_id = self.store.log_thumbs(
                    item_id=event["item_id"],
                    up=bool(event["up"]),
                    reason=event.get("reason"),
                    comment=event.get("comment"),
                    position=event.get("position"),
                    **common,
                )
                if event.get("corrections"):
                    self.store.log_corrections(event["corrections"], item_id=event["item_id"], **common)
                    self.metrics.feedback_events.labels(type="correction").inc()
            elif kind == "correction":
                event_id = self.store.log_corrections(
                    event.get("corrections") or [], item_id=event.get("item_id"), **common
                )
            elif kind == "impression":
                items = event.get("items") or ([event["item_id"]] if event.get("item_id") else [])
                event_id = self.store.log_impression(
                    items=items,
                    positions=event.get("positions"),
                    shown=event.get("shown"),
                    surface=event.get("surface") or "client",
                    variant=event.get("variant"),
                    propensity=event.get("propensity", 1.0),
                    model=event.get("model"),
                    **common,
                )
            else:
                raise FeedbackError(f"unknown feedback type {kind!r}")
        except KeyError as exc:
            raise ServiceError(f"{kind} feedback needs {exc.args[0]}", status=422, code="validation_error") from None
        except FeedbackError as exc:
            raise ServiceError(str(exc), status=422, code="validation_error") from None
        self.metrics.feedback_events.labels(type=kind).inc()
        log_event(
            log,
            "feedback",
            type=kind,
            item=event.get("item_id"),
            reason=event.get("reason"),
            user_id=event.get("user_id"),
            session=event.get("session_id"),
        )
        return {"event_id": event_id, "type": kind}

    # ------------------------------------------------------------------ health
    LLM_HEALTH_TTL_S = 15.0
    LLM_HEALTH_WAIT_S = 3.0

    def _llm_health(self) -> dict:
        """The LLM backend's health, probed in a background thread and cached for a few seconds.

        A probe that takes longer than ``LLM_HEALTH_WAIT_S`` (a model still loading, a slow server)
        answers ``ok: false, detail: probing`` instead of holding /healthz. Until the warm-up has
        loaded the backend, nothing is probed (the warm-up loads it; a probe would load it a second
        time, concurrently) and nothing is cached, so the first report after the warm-up is a fresh probe.
        """
        from app.llm.factory import loaded_backend

        if self.models.warmup_pending and loaded_backend(settings=self.settings) is None:
            return {"ok": False, "detail": "not loaded yet: the server's warm-up loads the model"}
        with self._conn_lock:
            cached = getattr(self, "_llm_cache", None)
            fresh = cached is not None and time.monotonic() - cached[0] < self.LLM_HEALTH_TTL_S
            probe = getattr(self, "_llm_probe", None)
            if not fresh and (probe is None or not probe.is_alive()):
                probe = threading.Thread(target=self._probe_llm, name="waypoint-llm-health", daemon=True)
                self._llm_probe = probe
                probe.start()
        if fresh and cached is not None:
            return cached[1]
        if probe is not None:
            probe.join(self.LLM_HEALTH_WAIT_S)
        cached = getattr(self, "_llm_cache", None)
        if cached is not None:
            return cached[1]
        return {"ok": False, "detail": "probing (model loading or server slow)"}

    def _probe_llm(self) -> None:
        try:
            from app.llm.factory import get_backend

            report = get_backend(settings=self.settings).health().to_dict()
        except Exception as exc:  # noqa: BLE001 - health never raises
            report = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
        self._llm_cache = (time.monotonic(), report)

    def _vector_store_health(self) -> StoreHealth:
        """Claim and check the vector store (see :func:`retrieval.vectorstore.health.probe_store`).

        Opening every collection here is what makes a server that started while another process held
        the store recover by itself: each health check retries the locked ones (spaced by the store's
        backoff), and once opened they stay this process's.
        """
        return probe_store(self.settings)

    def health(self, *, probe_llm: bool = True) -> dict:
        """The full health report (paths and reasons included: :func:`app.api.health.public_view` is what
        untrusted callers see). Blocking: ``/healthz`` serves it through :attr:`health_monitor`."""
        degraded: dict[str, str] = {}
        catalogue: dict[str, Any] = {"path": str(self.settings.catalogue_path), "present": False}
        try:
            conn = self.catalogue()
            with self._conn_lock:
                catalogue["occupations"] = conn.execute("SELECT COUNT(*) FROM occupation").fetchone()[0]
            catalogue["present"] = catalogue["occupations"] > 0
            if not catalogue["present"]:
                degraded["catalogue"] = "catalogue has no occupations"
        except (ServiceError, sqlite3.Error) as exc:
            degraded["catalogue"] = getattr(exc, "message", str(exc))
        llm: dict[str, Any] = {"backend": self.settings.llm_backend}
        if self.settings.llm_backend == DETERMINISTIC:
            llm.update(ok=True, detail="deterministic composer (no LLM)")
        elif probe_llm:
            llm.update(self._llm_health())
            if not llm.get("ok"):
                degraded["llm"] = (
                    f"LLM backend unavailable ({llm.get('detail') or 'no detail'}); explanations "
                    "fall back to the deterministic composer"
                )
        _fn, real = self.explain_fn()
        if not real:
            degraded["explainer"] = "app.explain not installed; using the interim deterministic composer"
        try:
            events = {"path": display(self.settings.events_target), "ok": True}
            self.store.counts()
        except Exception as exc:  # noqa: BLE001
            events = {"path": display(self.settings.events_target), "ok": False, "detail": str(exc)}
            degraded["events"] = "events database unreachable or not writable"
        try:
            store = self._vector_store_health()
            vector_store = store.to_dict()
            if not store.ok:
                degraded["vector_store"] = (
                    f"{store.summary()}; explanations use catalogue passages without "
                    "conversation memory and text profiles are scored in memory until "
                    "it opens (retried at each health check)"
                )
        except Exception as exc:  # noqa: BLE001 - health never raises
            vector_store = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
            degraded["vector_store"] = "vector store probe failed"
        models = self.models.status()  # not built / stale / warm-up failed: down; loading: warming
        if models["state"] in ("not_built", "stale", "failed"):
            degraded["models"] = models["detail"]
        for component in COMPONENTS:
            self.metrics.degraded.labels(component=component).set(1 if component in degraded else 0)
        status = "ok" if not degraded else ("down" if {"catalogue", "models"} & set(degraded) else "degraded")
        if status != "down" and models["state"] == "loading":
            status = "warming"
        return {
            "status": status,
            "catalogue": catalogue,
            "llm": llm,
            "events": events,
            "vector_store": vector_store,
            "models": models,
            "degraded": degraded,
        }


def _profile_payload(profile: Profile) -> dict:
    """The profile as stored with an impression: PII-redacted text, hashed user and profile ids.

    The text is redacted before it is cut to 4,000 characters, so a cut never leaves half an email
    or a name the redactor no longer recognises; the caller's ``id`` is stored as ``p_`` + HMAC
    (it is often an email or an account name), as :func:`app.explain.evidence.profile_owner` keys it.
    """
    from app.privacy.hashing import hash_profile_id

    data = profile.model_dump(mode="json", exclude_none=True)
    if "user_id" in data:
        data["user_id"] = hash_user_id(data["user_id"])
    if "id" in data:
        data["id"] = hash_profile_id(data["id"])
    data = redact_obj(data)
    if data.get("text"):
        data["text"] = data["text"][:4000]
    return data
