"""Where a person says they want out of their own kind of work ("I'm a high school English teacher and I hate it.
What else can I do?", "burned out, need to get out of nursing", "sick of retail", "looking for a career change", "getting out of the army, what civilian jobs fit me?").

Why: the English teacher who asked that was offered elementary, middle school and special education teaching --
the occupation ranker, trained on O*NET's Related Occupations, puts a teacher's neighbours first, and they are
teachers. What a person wants to leave changes the list as much as where they want to go: their own kind of work
leaves it (:meth:`retrieval.understanding.recommend.PersonalRanking.away_from_own_work`).

Phrase patterns like :mod:`retrieval.understanding.limits`; they must tell the wish from the same words about
other people ("customers who are sick of waiting", "people who are burned out", "staff who quit") and from
"leave nothing unfinished". Measured on ``eval/data/leaving_messages.jsonl`` (tests/unit/test_leaving.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from retrieval.understanding.limits import merge_spans

# what a person leaves: "it", "my job", "teaching", "retail", "the restaurant industry", "law firms"
_FIELD = (
    r"(?P<field>(?!(?:no|some|any|every)thing\b)\w+ing|retail|hospitality|law\s+firms?|pharmacy|medicine|"
    r"healthcare|health\s+care|education|sales|finance|(?:the\s+)?bedside(?:\s+(?:care|nursing))?|"
    r"the\s+(?:\w+\s+)?(?:industry|field|profession|classroom|trade)|(?:the\s+)?(?:army|military|navy|marines|marine\s+corps|air\s+force|armed\s+forces|"
    r"coast\s+guard))"
)
_WORK = rf"(?:it|this|it\s+all|my\s+(?:job|work|career|field|profession|industry)|{_FIELD})"
#: a license or degree from abroad that is not recognised here (also the chat's cue for its note); "foreign-trained"
#: alone is not: many who trained abroad are licensed here
FOREIGN_CREDENTIAL = (
    r"\b(?:my\s+)?(?:licen[cs]e|degree|diploma|qualifications?|credentials?|certification)s?\s+(?:is|are)?\s*(?:not|n't|isn'?t|"
    r"aren'?t)\s+(?:valid|recogni[sz]ed|accepted|transferable)(?:\s+(?:here|in\s+th(?:is|e)\s+(?:country|us|u\.s\.|states)))?\b|"
    r"\b(?:not|n't)\s+licen[cs]ed\s+(?:here|in\s+th(?:is|e)\s+(?:country|us|u\.s\.|states))\b"
)
_PATTERNS = [
    re.compile(rf"\b(?:i\s+)?hate\s+{_WORK}\b", re.I),
    re.compile(rf"\b(?:sick|tired)\s+of\s+{_WORK}\b", re.I),
    re.compile(r"\b(?:burned|burnt)[- ]out\b", re.I),
    # "I'm an accountant but I'm bored", "bored of my job"
    re.compile(rf"\b(?:i'?m|i\s+am|getting|so|really|totally)\s+bored\b(?:\s+(?:with|of)\s+{_WORK})?", re.I),
    re.compile(rf"\bdone\s+with\s+{_WORK}\b", re.I),
    re.compile(rf"\bwant(?:s|ing)?\s+out(?:\s+of\s+{_WORK})?\b", re.I),
    re.compile(rf"\bget(?:ting)?\s+out\s+of\s+{_WORK}\b", re.I),
    re.compile(rf"\b(?:leave|leaving|quit|quitting)\s+{_WORK}\b", re.I),
    # other work than their own: "What can a nurse do besides bedside care?", "something other than retail" (not
    # "Besides nursing, I coach soccer": only after what they would do)
    re.compile(
        rf"\b(?:do|something|anything|jobs?|work|careers?|options?)\s+(?:\w+\s+)?(?:besides|other\s+than|apart\s+from|"
        rf"outside\s+of)\s+{_WORK}\b",
        re.I,
    ),
    re.compile(
        r"\b(?:a\s+)?career\s+change\b|\b(?:change|switch)(?:ing)?\s+careers?\b|\bsomething\s+(?:else|different)\b",
        re.I,
    ),
    # a service member on the way out: "what civilian jobs fit me?", "transitioning to civilian life"
    re.compile(r"\bcivilian\s+(?:jobs?|work|careers?|life|world|sector|roles?|positions?|employment)\b", re.I),
    # the setting left, the people kept: "I'm a teacher and I want to work with kids but not in a classroom" was listed
    # preschool, middle school and kindergarten teachers ("leave the classroom" is read above); a résumé's "inside and
    # outside the classroom" is not
    re.compile(
        r"\b(?:not|never|no\s+longer)\s+in\s+(?:a|the)\s+(?P<field>classroom)\b|\b(?:jobs?|work|something|roles?|careers?)\s+(?:\w+\s+)?(?:out|outside)\s+(?:of\s+)?(?:a|the)\s+classroom\b",
        re.I,
    ),
    # trained abroad, not allowed to practise here: "I was a doctor in my country but my license isn't valid here" was
    # listed physicians; until it is recognised, their own licensed work is out of reach
    re.compile(FOREIGN_CREDENTIAL, re.I),
]
# the same words about other people: "customers who are sick of waiting", "people who are burned out"
_ABOUT_OTHERS = re.compile(
    r"\b(?:who|whom|people|customers|clients|patients|students|staff|employees|colleagues)\b[^.;!?]{0,25}$", re.I
)


def leaving_wishes(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` where the person says they want out of their own kind of work, in order, merged."""
    return merge_spans([(s, e) for s, e, _field in _findings(text)])


# strain named as the reason to leave: "completely burned out", "exhausted", "too stressful", "can't take it anymore"
_WORN_OUT = re.compile(
    r"\b(?:burn(?:ed|t)[- ]?out|burnout|exhausted|drained|worn[- ]out|(?:too\s+)?stressful|stressed(?:\s+out)?|"
    r"can'?t\s+take\s+(?:it|this)\s+any\s*more)\b",
    re.I,
)


def worn_out(text: str) -> bool:
    """Whether the person says their own work wears them out (not other people: "patients who are exhausted")."""
    text = text.replace("’", "'")
    return any(not _ABOUT_OTHERS.search(text[max(0, m.start() - 40) : m.start()]) for m in _WORN_OUT.finditer(text))


def left_fields(text: str) -> list[str]:
    """The kinds of work the person names as what they leave ("retail" in "sick of retail", "nursing" in "get out
    of nursing"), for the caller to resolve to occupations; "it" and "my job" name none."""
    return [field for _s, _e, field in _findings(text) if field]


def _findings(text: str) -> list[tuple[int, int, str]]:
    text = text.replace("’", "'")  # same length, so the spans still hold
    out = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if _ABOUT_OTHERS.search(text[max(0, m.start() - 40) : m.start()]):
                continue
            field = (m.groupdict().get("field") or "").strip()
            out.append((m.start(), m.end(), re.sub(r"^the\s+", "", field, flags=re.I)))
    return out


# the last word of a title that names a kind of work by itself ("Teachers", "Nurses", "Drivers"); these name
# none ("Medical Assistants" and "Legal Assistants" are different work)
_GENERIC_HEADS = frozenset(
    "workers specialists assistants operators managers technicians technologists clerks officers analysts "
    "supervisors representatives agents aides helpers occupations other all inspectors coordinators".split()
)


def head_nouns(title: str) -> set[str]:
    """The words a title's kind of work is named by, singular and lower case: the last word of each part of the
    title before its first comma ("Secondary School Teachers, Except ..." -> {"teacher"}, "Accountants and
    Auditors" -> {"accountant", "auditor"}), leaving out words that name no kind of work by themselves
    ("Assistants", "Officers") and a one-word part that is no plural noun ("Heavy and Tractor-Trailer Truck
    Drivers" -> {"driver"})."""
    out = set()
    for part in re.split(r"\s+and\s+", title.split(",")[0]):
        words = re.findall(r"[A-Za-z]+", part)
        if not words or words[-1].lower() in _GENERIC_HEADS or (len(words) == 1 and not words[0].endswith("s")):
            continue
        word = words[-1].lower()
        out.add(word[:-1] if word.endswith("s") and not word.endswith("ss") else word)
    return out


def same_kind_of_work(title: str, heads: set[str]) -> bool:
    """Whether ``title`` names the work of one of ``heads``, by its stem ("Nurse Practitioners" and "Nursing
    Assistants" name "nurse"'s, "Teaching Assistants" "teacher"'s)."""
    return any(re.search(rf"\b{re.escape(_stem(h))}\w*", title, re.I) for h in heads)


def _stem(noun: str) -> str:
    """ "teacher" -> "teach", "nurse" -> "nurs", "driver" -> "driv"; a stem of at least four letters."""
    for ending in ("er", "e"):
        if noun.endswith(ending) and len(noun) - len(ending) >= 4:
            return noun[: -len(ending)]
    return noun


@dataclass(frozen=True)
class OwnWork:
    """A person's own kind of work, which they want out of: the SOC minor groups of their occupations ("25-2") and
    the words their titles name the work by ("teacher"). One definition for the occupation list and the postings."""

    groups: frozenset[str]
    heads: frozenset[str]

    @classmethod
    def of(cls, occupation_ids: Iterable[str], title_of: Callable[[str], str]) -> OwnWork:
        ids = list(occupation_ids)
        return cls(frozenset(o[:4] for o in ids), frozenset(h for o in ids for h in head_nouns(title_of(o))))

    def covers(self, occupation_id: str, title: str) -> bool:
        """Whether an occupation (or a posting: its linked occupation, "" when none, and its own title) is that
        work: in one of the groups, or titled by the same work ("Substitute Teacher", "Nursing Assistants")."""
        return occupation_id[:4] in self.groups or same_kind_of_work(title, set(self.heads))
