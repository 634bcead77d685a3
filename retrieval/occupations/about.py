"""What an occupation is, for a person who asks about one ("What does a data analyst do?", "How much do nurses
make?", "Tell me about welders").

Why: such a question was read as the person's own work -- "What does a data analyst do?" was told "I've noted your
occupation as Business Intelligence Analysts" and given a data analyst's next moves. A careers adviser answers the
question: what the work is, what it involves day to day, the preparation it takes, and the skills and software it
relies on. Everything comes from O*NET through the built catalogue: its description, its most typical tasks, its job
zone, and the skills graph's requirements (rated elements, with ratings imputed from related occupations where O*NET
rates none; the technologies O*NET flags In Demand for its employers). The catalogue holds no pay figures, and the
answer says so rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from retrieval.settings import Settings

#: O*NET's five job zones (Job Zone Reference) in plain words: the education and training each usually takes.
PREPARATION = {
    1: "little or no preparation: a few days to a few months of training on the job, sometimes a high school diploma",
    2: "some preparation: usually a high school diploma and up to a year of training alongside experienced workers",
    3: "medium preparation: vocational training, an apprenticeship or an associate's degree, and one or two years of "
    "training on the job",
    4: "considerable preparation: usually a four-year bachelor's degree and several years of related experience",
    5: "extensive preparation: usually a graduate degree (a master's, a doctorate, or a law or medical degree) and "
    "years of experience",
}
#: The degree a job zone usually asks for, named where a knowledge area it teaches is a gap no course closes
#: ("Law and Government" toward lawyers is law school, not "a project or volunteer work that uses it").
DEGREE = {4: "the bachelor's degree", 5: "the graduate degree (a master's, a doctorate, or a law or medical degree)"}
TASKS = 3  # the core tasks shown
SKILLS = 4  # the skills, knowledge areas and software named, each
#: an element counts among "what it relies on" from this importance (0..1; IM 3 of 5, a requirement)
RELIES_ON = 0.5


@dataclass
class OccupationFacts:
    """What the catalogue says about one O*NET occupation, ready to be read out."""

    id: str
    title: str
    description: str
    tasks: list[str] = field(default_factory=list)
    preparation: str = ""  # :data:`PREPARATION` of its job zone; empty when O*NET gives none
    skills: list[str] = field(default_factory=list)
    knowledge: list[str] = field(default_factory=list)
    software: list[str] = field(default_factory=list)


def occupation_facts(occupation_id: str, settings: Settings) -> OccupationFacts | None:
    """The facts of ``occupation_id`` (an O*NET-SOC code of the catalogue), None when it has none."""
    from retrieval.occupations.service import get_occupation_recommender
    from retrieval.skills.graph import get_graph

    corpus = get_occupation_recommender(settings).corpus
    row = corpus.index.get(occupation_id)
    if row is None:
        return None
    zone = corpus.job_zone[row]
    graph = get_graph(settings)
    rated: dict[str, list[tuple[float, str]]] = {"onet_skill": [], "onet_knowledge": []}
    software: list[str] = []
    for skill_id, data in graph.occupation_requirements(occupation_id):
        kind, importance = graph.kind(skill_id), float(data.get("importance") or 0.0)
        if data.get("relation") == "rated" and kind in rated and importance >= RELIES_ON:
            # what sets it apart first: Reading Comprehension and Active Listening matter to nearly every job
            rated[kind].append((graph.typical_importance(skill_id) - importance, graph.label(skill_id)))
        elif data.get("relation") == "technology" and data.get("in_demand"):
            # In Demand is O*NET's flag for this occupation's employers; Hot is the market's (Apache Spark for nurses)
            software.append(graph.label(skill_id))
    return OccupationFacts(
        id=occupation_id,
        title=corpus.titles[row],
        description=corpus.texts["description"][row],
        tasks=_typical_tasks(corpus.task_lists[row], settings),
        preparation=PREPARATION.get(int(zone), "") if zone == zone else "",  # nan: no job zone
        skills=[label for _i, label in sorted(rated["onet_skill"])[:SKILLS]],
        knowledge=[label for _i, label in sorted(rated["onet_knowledge"])[:SKILLS]],
        software=sorted(software)[:SKILLS],
    )


def _typical_tasks(tasks: list[str], settings: Settings) -> list[str]:
    """The :data:`TASKS` most typical of the occupation's tasks (nearest their mean by meaning), in O*NET's order: its
    first tasks by id were "Provide technical support for existing reports" for business intelligence analysts, and
    the tasks nearest its description "Observe nurses and visit patients" and "Engage in research" for nurses."""
    if len(tasks) <= TASKS:
        return tasks[:TASKS]
    from retrieval.embeddings import get_embedder

    vectors = get_embedder(settings).encode(tasks, show_progress=False)  # the catalogue's: cached
    sims = vectors @ vectors.mean(axis=0)
    keep = sorted(sorted(range(len(tasks)), key=lambda i: -sims[i])[:TASKS])
    return [tasks[i] for i in keep]


def degree_asked(occupation_id: str, settings: Settings) -> str:
    """:data:`DEGREE` of the occupation's job zone ("" below a bachelor's, or when O*NET gives no zone)."""
    from retrieval.occupations.service import get_occupation_recommender

    corpus = get_occupation_recommender(settings).corpus
    row = corpus.index.get(occupation_id)
    zone = corpus.job_zone[row] if row is not None else float("nan")
    return DEGREE.get(int(zone), "") if zone == zone else ""
