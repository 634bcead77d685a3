"""Licences and certifications people name in what they type: "EMT certified", "Class A CDL",
"RN", "CompTIA Security+", "forklift licence", "food handler card".

Why a table of its own: ESCO and O*NET describe abilities, not credentials, so "EMT", "CDL" or
"PMP" either match nothing in the catalogue or match the wrong thing ("PMP" is also an O*NET
product acronym, "Pathogen Modeling Program"). A credential is evidence that someone *holds*
something, which is exactly what a profile needs, so it gets a stable id (``cred:emt``) here, and
where the catalogue has the very skill the credential certifies ("CPR certified" → resuscitation,
"forklift licence" → operate forklift) the find is linked to that catalogue skill instead, so the
gap analysis and the graph can use it.

Matching is by surface forms written as regular expressions. Acronyms are matched case-sensitively
("RN", never "rn"); the ambiguous ones ("ACLS" is also "access control lists" in network résumés,
"BLS" the Bureau of Labor Statistics, "CPA" cost per acquisition, "A+" a grade) only count with a
credential word ("certified", "licence", "card"...) or a word of their field nearby. A credential
that is only being worked towards ("doing my EMT course", "studying for the CPA exam") is not held.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Words that say a nearby name is a credential someone holds.
CREDENTIAL_CUES = frozenset({
    "certified", "certification", "certifications", "certificate", "certificates", "cert", "certs", "licence", "licences",
    "license", "licenses", "licensed", "licensure", "card", "endorsement", "registered", "qualified", "qualification",
    "credential", "credentials", "accredited", "holder", "ticket", "trained", "passed",
})
#: Words that say the credential is not held yet (in the words just before or after the name).
PENDING_BEFORE = re.compile(
    r"\b(?:studying for|study for|preparing for|prepare for|working towards?|work towards?|enrolled in|enroll(?:ed)? in|"
    r"currently doing|doing my|doing an?|taking my|taking an?|signed up for|hope to get|hoping to get|plan to get|"
    r"planning to get|want to get|wanting to get|would like to get|going to get|aiming for|aim for|get my|getting my)\s+"
    r"(?:the\s+|my\s+|an?\s+)?$",
    re.IGNORECASE,
)
PENDING_AFTER = re.compile(r"^\W{0,3}(?:course|class|classes|exam|exams|student|program|programme|school|training in progress|"
                           r"in progress|pending)\b", re.IGNORECASE)
CUE_WINDOW = 8  # words either side


@dataclass(frozen=True)
class Credential:
    """One credential: a stable id, the label people see, surface forms and (optionally) the skill it certifies."""

    id: str
    label: str
    #: Case-insensitive regular expressions (long forms: "emergency medical technician").
    phrases: tuple[str, ...] = ()
    #: Case-sensitive regular expressions (acronyms: "EMT", "CDL-A").
    acronyms: tuple[str, ...] = ()
    #: Catalogue labels of the skill this credential certifies, best first; the first the catalogue has is linked.
    skills: tuple[str, ...] = ()
    #: The acronyms are ambiguous: count only with a credential cue or one of ``domain`` nearby.
    needs_cue: bool = False
    domain: frozenset[str] = field(default_factory=frozenset)
    #: Surface forms that are credentials only with a credential cue, even when the others are not ambiguous.
    cue_phrases: tuple[str, ...] = ()


#: Words that, near "BLS", "ACLS" or "PALS", say life support is meant (other life-support courses, the people who hold them).
_LIFE_SUPPORT = frozenset({"cpr", "bls", "acls", "pals", "aed", "nrp", "rn", "emt", "paramedic", "cardiac", "life",
                           "resuscitation", "ambulance", "ems"})

CREDENTIALS: tuple[Credential, ...] = (
    Credential("cred:emt", "Emergency Medical Technician (EMT) certification",
               phrases=(r"emergency medical technician",),
               acronyms=(r"EMT(?:-?(?:B|I|P|A)\b|-Basic|-Intermediate|-Advanced|-Paramedic)?",)),
    Credential("cred:paramedic", "Paramedic certification",
               phrases=(r"(?:licensed |registered |certified )?paramedics?(?! science)",),
               acronyms=(r"NRP\b",), ),
    Credential("cred:rn", "Registered Nurse (RN) licence",
               phrases=(r"registered nurse",), acronyms=(r"RN",)),
    Credential("cred:lpn", "Licensed Practical / Vocational Nurse (LPN, LVN) licence",
               phrases=(r"licen[cs]ed (?:practical|vocational) nurse",), acronyms=(r"LPN", r"LVN")),
    Credential("cred:cna", "Certified Nursing Assistant (CNA)",
               phrases=(r"certified nursing assistant", r"certified nurse aide"), acronyms=(r"CNA",)),
    Credential("cred:cpht", "Certified Pharmacy Technician (CPhT)",
               phrases=(r"certified pharmacy technician",), acronyms=(r"CPhT",)),
    Credential("cred:phlebotomy", "Phlebotomy certification",
               phrases=(r"certified phlebotomist", r"phlebotomy (?:certification|certificate|license|licence)",
                        r"phlebotomy certified")),
    Credential("cred:cpr", "CPR certification", phrases=(r"cardiopulmonary resuscitation",), acronyms=(r"CPR",),
               skills=("cardiopulmonary resuscitation", "resuscitation")),
    Credential("cred:bls", "Basic Life Support (BLS) certification",
               phrases=(r"basic life support",), acronyms=(r"BLS",), needs_cue=True, domain=_LIFE_SUPPORT),
    Credential("cred:acls", "Advanced Cardiovascular Life Support (ACLS) certification",
               phrases=(r"advanced cardi(?:ac|ovascular) life support",), acronyms=(r"ACLS",), needs_cue=True,
               domain=_LIFE_SUPPORT),
    Credential("cred:pals", "Pediatric Advanced Life Support (PALS) certification",
               phrases=(r"pa?ediatric advanced life support",), acronyms=(r"PALS",), needs_cue=True, domain=_LIFE_SUPPORT),
    Credential("cred:first-aid", "First aid certificate", skills=("first aid", "provide first aid"),
               cue_phrases=(r"first[- ]aid",)),
    Credential("cred:cdl", "Commercial driving licence (CDL, HGV, PCV)",
               phrases=(r"commercial driver(?:'?s'?)? licen[cs]e", r"class (?:a|b|1|2) (?:cdl|licen[cs]e|driver'?s licen[cs]e)",
                        r"hgv (?:class \d |cat(?:egory)? c\+?e? )?(?:licen[cs]e|driver)", r"lgv (?:licen[cs]e|driver)",
                        r"pcv (?:licen[cs]e|driver)",
                        r"heavy goods vehicle (?:licen[cs]e|driver)", r"cat(?:egory)? c\+?e licen[cs]e"),
               acronyms=(r"CDL(?:[- ]?(?:A|B|Class [AB])\b)?",)),
    Credential("cred:hazmat", "Hazardous materials (HAZMAT) endorsement",
               phrases=(r"haz-?mat endorsement", r"h endorsement", r"adr (?:licen[cs]e|certificate)"),
               cue_phrases=(r"haz-?mat",)),
    Credential("cred:driver-cpc", "Driver Certificate of Professional Competence (Driver CPC)",
               phrases=(r"driver cpc", r"driver certificate of professional competence"),
               acronyms=(r"CPC",), needs_cue=True,
               domain=frozenset({"hgv", "lgv", "driver", "driving", "pcv", "lorry", "bus", "coach", "tachograph"})),
    Credential("cred:driving-licence", "Driving licence",
               phrases=(r"(?<!commercial )(?:full |clean |valid )?(?:uk |us |eu )?(?:driving|driver(?:'?s'?)?) licen[cs]e",)),
    Credential("cred:forklift", "Forklift licence / certification", skills=("operate forklift",),
               phrases=(r"fork-?lift (?:licen[cs]e|licen[cs]ed|certified|certification|certificate|ticket|operator|driver)",
                        r"(?:licen[cs]ed|certified) fork-?lift")),
    Credential("cred:food-handler", "Food handler / food hygiene certificate",
               phrases=(r"food handler(?:'?s'?)? (?:card|permit|certificate|certification|licen[cs]e)",
                        r"food (?:hygiene|safety) (?:certificate|certification|level \d)", r"servsafe")),
    Credential("cred:cpa", "Certified Public Accountant (CPA)",
               phrases=(r"certified public accountant",), acronyms=(r"CPA",), needs_cue=True,
               domain=frozenset({"accountant", "accounting", "tax", "audit", "auditing", "auditor", "finance", "gaap"})),
    Credential("cred:pmp", "Project Management Professional (PMP)",
               phrases=(r"project management professional",), acronyms=(r"PMP",), needs_cue=True,
               domain=frozenset({"project", "projects", "program", "programme", "manager", "management", "pmi", "agile",
                                 "scrum", "prince", "waterfall", "stakeholders", "delivery"})),
    Credential("cred:six-sigma", "Six Sigma belt",
               phrases=(r"(?:lean )?six sigma (?:green|black|yellow|white|master black) belt",
                        r"(?:green|black|yellow) belt (?:in )?(?:lean )?six sigma", r"six sigma (?:certified|certification)")),
    Credential("cred:itil", "ITIL certification", acronyms=(r"ITIL(?: v\d| 4)?",)),
    Credential("cred:comptia-security-plus", "CompTIA Security+",
               phrases=(r"(?:comptia )?security\+",), acronyms=(r"Sec\+",)),
    Credential("cred:comptia-a-plus", "CompTIA A+",
               phrases=(r"comptia a\+",), cue_phrases=(r"a\+",), domain=frozenset({"comptia", "it", "support", "helpdesk"})),
    Credential("cred:comptia-network-plus", "CompTIA Network+", phrases=(r"(?:comptia )?network\+",)),
    Credential("cred:aws-certified", "AWS certification",
               phrases=(r"aws certified(?: (?:solutions architect|developer|sysops administrator|cloud practitioner|"
                        r"devops engineer))?(?: -? ?(?:associate|professional|specialty))?",
                        r"aws (?:certification|certificate)s?", r"certified aws")),
    Credential("cred:ccna", "Cisco CCNA / CCNP", acronyms=(r"CCNA", r"CCNP")),
    Credential("cred:cissp", "CISSP", acronyms=(r"CISSP",)),
    Credential("cred:teaching-licence", "Teaching licence / qualified teacher status",
               phrases=(r"teach(?:ing|er(?:'?s'?)?) (?:licen[cs]e|credential|certificate|certification)",
                        r"(?:state )?certified teacher", r"qualified teacher status", r"teacher certification"),
               acronyms=(r"QTS", r"PGCE")),
    Credential("cred:tefl", "TEFL / TESOL / CELTA certificate", acronyms=(r"TEFL", r"TESOL", r"CELTA")),
    Credential("cred:osha", "OSHA safety card (10/30-hour)",
               phrases=(r"osha[- ]?(?:10|30)(?:[- ]hour)?", r"osha (?:card|certified|certification|certificate)")),
    Credential("cred:electrician-licence", "Electrician's licence",
               phrases=(r"(?:journeyman|master|licen[cs]ed) electrician", r"electrician(?:'?s'?)? licen[cs]e",
                        r"journeyman(?:'s)? licen[cs]e", r"electrical licen[cs]e")),
    Credential("cred:real-estate-licence", "Real estate licence",
               phrases=(r"real estate (?:licen[cs]e|licen[cs]ed)", r"licen[cs]ed (?:realtor|real estate agent)")),
    Credential("cred:security-licence", "Security guard licence (SIA, guard card)",
               phrases=(r"sia (?:door supervisor |security )?licen[cs]e", r"security (?:guard |officer )?licen[cs]e",
                        r"guard card")),
)

BY_ID: dict[str, Credential] = {c.id: c for c in CREDENTIALS}


@dataclass(frozen=True)
class CredentialHit:
    """A credential found in a text: which one and where (character offsets)."""

    credential: Credential
    start: int
    end: int


def _compiled() -> list[tuple[Credential, re.Pattern, bool]]:
    """(credential, pattern, cue required) for every surface form. Word boundaries are checked by
    :func:`_bounded` rather than by look-behinds, which would keep ``re`` from scanning for the literal start."""
    out = []
    for cred in CREDENTIALS:
        for rx in cred.phrases:
            out.append((cred, re.compile(rx, re.IGNORECASE), False))
        for rx in cred.acronyms:
            out.append((cred, re.compile(rx), cred.needs_cue))
        for rx in cred.cue_phrases:
            out.append((cred, re.compile(rx, re.IGNORECASE), True))
    return out


def _bounded(text: str, start: int, end: int) -> bool:
    """The match is a whole word or phrase: no letter, digit or "+" glued to either end."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "_+") and not (after.isalnum() or after in "_+")


_PATTERNS = _compiled()
_WORD = re.compile(r"[A-Za-z][A-Za-z+']*")


def _window_words(text: str, start: int, end: int) -> set[str]:
    before = _WORD.findall(text[max(0, start - 120):start])[-CUE_WINDOW:]
    after = _WORD.findall(text[end:end + 120])[:CUE_WINDOW]
    return {w.lower().strip("'") for w in before + after}


def _pending(text: str, start: int, end: int) -> bool:
    """The credential is only being worked towards ("doing my EMT course", "studying for the CPA")."""
    return bool(PENDING_BEFORE.search(text[max(0, start - 40):start]) or PENDING_AFTER.search(text[end:end + 30]))


def find_credentials(text: str) -> list[CredentialHit]:
    """Credentials held according to ``text``: non-overlapping, longest first, in text order."""
    if not text:
        return []
    candidates: list[CredentialHit] = []
    for cred, pattern, needs_cue in _PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.start(), m.end()
            if not _bounded(text, start, end):
                continue
            if needs_cue:
                words = _window_words(text, start, end)
                if not (words & CREDENTIAL_CUES or words & cred.domain):
                    continue
            if _pending(text, start, end):
                continue
            candidates.append(CredentialHit(cred, start, end))
    candidates.sort(key=lambda h: (-(h.end - h.start), h.start))
    taken: list[CredentialHit] = []
    for hit in candidates:
        if all(hit.end <= t.start or hit.start >= t.end for t in taken):
            taken.append(hit)
    return sorted(taken, key=lambda h: h.start)


def acronym_senses() -> dict[str, list[str]]:
    """Acronym (lower case) → the credentials it names ("pmp" → Project Management Professional), so that the
    alias matcher knows "PMP" has a meaning besides the catalogue's "Pathogen Modeling Program"."""
    out: dict[str, list[str]] = {}
    for cred in CREDENTIALS:
        for rx in cred.acronyms:
            m = re.match(r"[A-Za-z]+", rx)
            if m:
                out.setdefault(m.group(0).lower(), []).append(cred.label)
    return out
