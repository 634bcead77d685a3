"""Catalogue labels and titles as words that fit a sentence written to the person.

Why this exists: the composer's templates (and so the closed grammar's menus, which are the
composer's sentences) drop labels into slots, and labels come in three shapes:

* O*NET elements and tools are noun phrases in title case ("Customer and Personal Service",
  "Microsoft Excel"): they fit any slot as they are;
* most ESCO skills are bare imperative verb phrases ("lead a team", "manage budgets"): dropped into
  "to build {skill}" they read "to build lead a team", so they become "the ability to lead a team";
* O*NET occupation titles are plural and capitalised ("Firefighters", "First-Line Supervisors of
  Retail Sales Workers"): "as a firefighter" needs the singular head noun, an article and lower case.

The verb list is the first words of the real catalogue's multi-word ESCO labels that are verbs
(10,012 of its 13,384 multi-word ESCO labels open with one), written out so the composer needs no
catalogue or tagger at run time; :data:`NOUN_HEADS` and :data:`NOUN_OPENINGS` keep noun phrases
that open with a verb-like word ("supply chain principles") as they are. A label whose first word is
missing from the list is used as it is, which is what happened to every label before.
"""

from __future__ import annotations

import re

from retrieval.understanding.keys import singular

#: Base-form verbs that start ESCO skill labels ("manage", "operate", ...).
VERBS = frozenset(
    """
manage operate perform maintain use develop monitor provide apply prepare advise ensure design create
understand tend conduct analyse analyze assess install write handle inspect identify supervise work assist plan
teach carry coordinate set interact test check evaluate promote organise organize follow repair implement clean
select communicate sell keep assemble interpret adjust control make support liaise determine collect oversee
report define remove train adapt calculate measure negotiate process build examine manufacture prevent produce
study comply cut read research administer demonstrate execute transfer record diagnose draw drive lead attend
estimate instruct participate establish store arrange review treat consult integrate position take contribute
inform investigate feed observe place protect mix breed compile educate forecast guide manipulate respond
undertake collaborate deliver document present show translate deal draft give lay attach detect direct enforce
engage explain load prescribe recommend cope dispose finish issue match meet order transport decide fill grade
help improve replace secure think adhere counsel facilitate pack polish purchase recognise recognize schedule
verify wash weigh add address construct gather insert mark move plant preserve regulate represent screen stay
anticipate coach compare complete consider exercise obtain receive restore shape solve track balance calibrate
care change connect cook cooperate describe discuss distinguish dry edit encourage fit interview label mount
paint program register run sew utilise utilize act advertise advocate clear compose disseminate distribute
extract find formulate heat influence motivate pour propose react recruit respect revise search separate supply
tune update adopt align allocate answer approve assign coat convert customise customize decorate differentiate
display dye employ fasten grind memorise offer optimise optimize plot practise practice pump serve synthesise
transcribe acquire assume audit brief classify compute configure conform conserve correct devise disassemble
dismantle escort fix focus hire initiate lift modify procure put reduce resolve sort spray stack stimulate
strive watch greet welcome speak listen lift learn cater bake brew trace empathise empathize brush rescue unload weld
accept sterilise sterilize cultivate wear tolerate be send rehearse reinforce solder shunt minimise minimize restrict
specialise specialize inspire enable dispatch synchronise synchronize join wax visit archive empower rinse hang
evacuate foster satisfy buy avoid rewrite have bind moderate lacquer sketch blend steer fabricate call enhance preset
mentor refer guarantee cure bend taste critique combine delegate announce innovate conclude delineate dump slice stir
imprint entertain improvise expand suggest hear lubricate pick transpose dock seal scoop officiate grow split harvest
pose play value""".split()
)
#: Second words that make a verb-looking first word a noun ("process control", "document management").
NOUN_HEADS = frozenset(
    {
        "of",
        "and",
        "management",
        "systems",
        "system",
        "techniques",
        "principles",
        "methods",
        "technology",
        "technologies",
        "analysis",
        "standards",
        "control",
        "engineering",
        "software",
        "processes",
        "theory",
        "types",
        "tools",
        "equipment",
        "services",
        "design",
        "research",
        "science",
        "sciences",
        "policy",
        "practices",
        "law",
    }
)


#: Two-word openings of noun-phrase labels whose first word is also a verb ("supply chain principles").
NOUN_OPENINGS = frozenset(
    {
        "call routing",
        "call quality",
        "screen reader",
        "supply chain",
        "exercise physiology",
        "play therapy",
        "plant species",
        "plant care",
        "screen printing",
        "work ethic",
        "set theory",
        "process mining",
        "test automation",
        "design thinking",
        "change management",
        "care plan",
        "store layout",
        "record keeping",
        "order management",
    }
)


def is_verb_phrase(label: str) -> bool:
    """Whether ``label`` is an imperative verb phrase ("lead a team"), not a noun phrase.

    Only lower-case multi-word labels qualify: O*NET and tool labels are title case and never verbs."""
    words = label.split()
    if len(words) < 2 or not label[:1].islower():
        return False
    opening = f"{words[0]} {words[1].lower()}"
    return words[0] in VERBS and words[1].lower() not in NOUN_HEADS and opening not in NOUN_OPENINGS


def skill_phrase(label: str) -> str:
    """``label`` as a noun phrase that fits any slot: "the ability to lead a team", "Microsoft Excel"."""
    return f"the ability to {label}" if is_verb_phrase(label) else label


def join(phrases: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    phrases = [p for p in phrases if p]
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


_CODE = re.compile(r"\s*\((?:\d{2}-\d{4}\.\d{2}|[^)]*:[^)]*)\)\s*$")


def clean_title(title: str) -> str:
    """An occupation title without the code the evidence writes after it ("Firefighters (33-2011.00)")."""
    return _CODE.sub("", title or "").strip()


#: O*NET titles that name a group, not its members: "your work as an infantry" was read in the browser.
GROUP_MEMBERS = {
    "infantry": "an infantry soldier",
    "special forces": "a special forces soldier",
    "clergy": "a member of the clergy",
    "transit and railroad police": "a transit or railroad police officer",
}


def role_phrase(title: str) -> str | None:
    """ "Firefighters" → "a firefighter"; "First-Line Supervisors of Retail Sales Workers" → "a first-line
    supervisor of retail sales workers". None for a title that does not make one person
    ("..., All Other", "Teachers, Postsecondary", an empty title): the caller says "your current
    occupation" instead."""
    title = clean_title(title)
    if not title or "," in title or "/" in title or "(" in title:
        return None
    if member := GROUP_MEMBERS.get(title.lower()):
        return member
    words = title.split()
    head = next((i - 1 for i, w in enumerate(words) if w.lower() in ("of", "for", "in") and i > 0), len(words) - 1)
    plural = {head} | {i - 1 for i, w in enumerate(words) if w == "and" and 0 < i <= head}  # "Accountants and Auditors"
    for i in plural:
        if words[i].lower().endswith("s"):
            words[i] = singular(words[i].lower())
        if i != head and words[i + 1] == "and":
            words[i + 1] = "or"  # one person is one of them: "a waiter or waitress", not "a waiter and waitress"
    words = [w if (w.isupper() and len(w) > 1) else w.lower() for w in words]
    text = " ".join(words)
    vowel = text[:1] in "aeio" or (text[:1] == "u" and not text.startswith(("uni", "use", "usu", "uro", "uti")))
    article = "an" if vowel else "a"
    return f"{article} {text}"


def agree(n: int, singular_form: str, plural_form: str) -> str:
    """The verb form for ``n`` subjects: ``agree(1, "carries", "carry")``."""
    return singular_form if n == 1 else plural_form
