"""Where in a text a person states a goal, a wish, a negation, who they are, or how long they have
done it: the spans the understanding uses to keep "I want to move into finance" apart from "I work
in finance", and "I don't know SQL yet" apart from "I know SQL".

These are phrase patterns over English, the language the catalogue is in. They find *where* a goal
or negation is; *what* it refers to is linked by the title index, the field table, the skill
aliases and the embeddings (``retrieval/understanding/service.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

# Words that open a wish: "I want to", "hoping to", "would love to", "thinking about", "my goal is".
_WISH = (
    r"(?:want(?:s|ed|ing)?|wanna|would\s+(?:like|love)|'d\s+(?:like|love)|(?:i\s+)?(?:hope|hoping)|"
    r"plan(?:ning)?|looking|trying|aim(?:ing)?|keen|eager|ready|intend(?:ing)?|wish|dream(?:ing)?\s+of|"
    r"dream\s+is|thinking\s+(?:about|of)|considering|interested\s+in|curious\s+about|open\s+to|"
    r"goal\s+is|aspir(?:e|ing)|would\s+rather|next\s+step\s+is|how\s+(?:do|can|could)\s+i|"
    r"help\s+me|i'?m\s+after|seeking)"
)
# What a person enjoys or is good at ("I like working on cars", "I love animals", "I'm into computers and gaming",
# "I'm good at math"): a goal only for someone whose work does not say where they are headed -- a school leaver
# with no work history (the linker drops it when the text names an occupation: "I'm a nurse and I like working
# with people" wants no move). Not what they like about their own work or life ("I love my job", "I like it here",
# "I love the patients but ..."). A 17-year-old who wrote "I like drawing and video games" was asked for a job title.
_NOT_INTEREST = (
    r"(?!(?:it|this|that|them|him|her|you|here|there|my\s+\w+|our\s+\w+|the\s+(?:job|work|patients|people|kids|"
    r"money|pay|hours|team|place)|what\s+i\s+do|doing\s+(?:it|this|that)|to\s+(?!work\b)\w+)\b)"
)
_INTEREST = re.compile(
    rf"\bi\s+(?:really\s+|also\s+|just\s+|truly\s+)?(?:like|love|enjoy)\s+{_NOT_INTEREST}"
    rf"|\bi(?:'m|\s+am)\s+(?:really\s+|also\s+|very\s+)?(?:into|passionate\s+about|good\s+at|obsessed\s+with)\s+"
    rf"{_NOT_INTEREST}",
    re.I,
)
# What anyone might enjoy, which names no kind of work: "I like working with people" stays as vague as it was (the
# job-view eval's vague persona), where "I like working with kids" is childcare.
_VAGUE_INTEREST = re.compile(
    r"(?:working\s+(?:with|in)\s+)?(?:people|others|a\s+team|teams|my\s+hands)|new\s+things|learning(?:\s+new\s+things)?|"
    r"(?:a\s+)?challenges?|variety|money|being\s+busy|teamwork|my\s+free\s+time",
    re.I,
)


# What a person studied ("a biology degree", "a degree in psychology", "majored in history", "I studied
# chemistry"): like what they enjoy, a goal only for someone whose work does not say where they are headed. A
# graduate who wrote "Just graduated with a biology degree and I have no idea what to do with it" was asked for
# a job title.
# the words of a field of study: "computer science", "health and social care"; not "pharmacist from India and my" (in
# "I'm a pharmacist from India and my degree is not recognized", which was read as what they studied)
_FIELD_WORD = r"(?!(?:from|my|your|his|her|their|our|i|in|at|with|to|for|the|a|an|but|so|is|was|and|or)\b)[a-z][\w&'-]*"
_FIELD_WORDS = rf"{_FIELD_WORD}(?:\s+(?:and\s+|&\s+)?{_FIELD_WORD}){{0,3}}?"
_STUDIED = [
    re.compile(rf"\b(?:a|an|my|the)\s+(?P<field>{_FIELD_WORDS})\s+(?:degree|major|diploma)\b", re.I),
    re.compile(
        rf"\b(?:degree|diploma|major(?:ed|ing)?|bachelor'?s|master'?s|ba|bs|bsc|ma|msc|mba|phd|graduated)\s+in\s+"
        rf"(?P<field>{_FIELD_WORDS})(?=\s*(?:$|[.,;:!?()]|\b(?:and|but|from|at|so|with|last|this|in\s+\d|i)\b))",
        re.I,
    ),
    # what they study now counts the same: "I'm studying accounting" was a skill to learn, which steers no list, and
    # a student looking for a part-time job was listed ethnic studies teachers, tutors and biologists by "studying"
    re.compile(
        r"\b(?:i\s+studied|i\s+study|i'?m\s+(?:currently\s+|now\s+)?studying|i\s+am\s+(?:currently\s+|now\s+)?studying|"
        rf"currently\s+studying)\s+(?!(?:to|for|a|an|the|hard|abroad|online|part|full|at|in)\b)(?P<field>{_FIELD_WORDS})"
        r"(?=\s*(?:$|[.,;:!?()]|\b(?:and|but|at|in|for|so|i)\b))",
        re.I,
    ),
]
# Words that name a degree's level or kind, not what was studied ("a college degree", "my bachelor's degree").
_NO_FIELD = re.compile(
    r"(?:(?:\d+|two|four)[- ]year|college|university|uni|associate'?s?|bachelor'?s?|master'?s?|graduate|"
    r"undergraduate|postgraduate|doctoral|high\s+school|online|good|useless|new|first|second|full|(?:a\s+)?ged|"
    r"hard|abroad|there|here|a\s+lot|(?:part|full)[- ]time|at\s+night)"
    r"(?:\s+(?:degree|diploma))?",
    re.I,
)


# Where a person stands in school, which is no work: "graduating this spring", "just graduated", "a recent grad",
# "a college student" ("graduating this spring" linked Education Administrators, Postsecondary by meaning).
_SCHOOL_STATUS = re.compile(
    r"\b(?:graduat(?:ing|ed)|(?:a\s+)?recent\s+(?:college\s+)?grad(?:uate)?|(?:a\s+|an\s+)?(?:college|university|"
    r"grad|undergrad(?:uate)?)\s+student|(?:senior|junior|sophomore|freshman)\s+(?:in|at)\s+(?:college|university))"
    r"\b(?:\s+(?!(?:and|but|or|i|i'm|i've|have|had|now|work\w*)\b)[\w'-]+){0,5}",
    re.I,
)


def school_status(text: str) -> list[tuple[int, int]]:
    """Spans where ``text`` says where the person stands in school ("graduating this spring"): not work."""
    return [m.span() for m in _SCHOOL_STATUS.finditer(text)]


# A request for the list that says nothing about the person: "What jobs are there for me?", "Which careers would suit
# me?". By meaning alone it is near O*NET's catch-all codes (Computer Occupations, All Other, 0.31 -- just over the
# linker's floor), and "I love animals. What jobs are there for me?" was read as a computer worker, whose named
# occupation then made the love of animals no goal. A sentence naming anyone else ("for a nurse") is not one.
_GENERIC_REQUEST = re.compile(
    r"(?:^|(?<=[.!?\n]))\s*(?:so\s+|and\s+|then\s+)?(?:what|which)\s+(?:kinds?\s+of\s+|sorts?\s+of\s+|types?\s+of\s+)?"
    r"(?:jobs?|careers?|work|occupations?|roles?|options?|positions?|paths?)\s+"
    r"(?:are\s+there|is\s+there|exist|(?:would|might|could|will|do(?:es)?)\s+(?:suit|fit)\s+me|(?:suit|fit)\s+me|"
    r"(?:could|can|should|would|might)\s+i\s+(?:do|get|have|try|look\s+(?:at|for|into)|consider|go\s+for))"
    r"(?:\s+(?:for|to)\s+(?:me|someone\s+like\s+me|people\s+like\s+me))?(?:\s+out\s+there)?\s*(?:[?.!]+|(?=\n)|$)",
    re.I,
)


def generic_requests(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that only ask for the list ("What jobs are there for me?"): nothing about the person."""
    return [m.span() for m in _GENERIC_REQUEST.finditer(text)]


_LANGUAGE = (
    r"(?:english|spanish|french|german|italian|portuguese|russian|chinese|mandarin|cantonese|japanese|korean|arabic|"
    r"hindi|urdu|bengali|punjabi|tagalog|vietnamese|polish|ukrainian|turkish|persian|farsi|dutch|greek|hebrew|swahili|"
    r"somali|haitian\s+creole|creole|asl|american\s+sign\s+language|sign\s+language)"
)
# "I speak Spanish and English fluently": languages a person speaks say what they can do, not what they do; by meaning
# the sentence is language teaching, and the chat said "I've noted your occupation as Foreign Language and Literature
# Teachers, Postsecondary" to someone who had named no work.
_LANGUAGES_SPOKEN = re.compile(
    rf"\b(?:i\s+)?(?:also\s+)?(?:speak|am\s+fluent\s+in|i'?m\s+fluent\s+in|fluent\s+in|bilingual\s+in|"
    rf"native\s+speaker\s+of|know)\s+(?:both\s+)?{_LANGUAGE}(?:\s*(?:,|and|&|or)\s*{_LANGUAGE})*(?:\s+(?:fluently|"
    rf"well|natively))?\b|\b(?:i'?m|i\s+am)\s+(?:fully\s+)?(?:bilingual|trilingual|multilingual)\b",
    re.I,
)


def languages_spoken(text: str) -> list[tuple[int, int]]:
    """Spans where ``text`` says which languages the person speaks ("I speak Spanish and English fluently")."""
    return [m.span() for m in _LANGUAGES_SPOKEN.finditer(text)]


# "What can I do with my degree?", "I want to use my degree": what they studied is where they ask to go, even beside
# the work they do now ("I have a psychology degree but I work at Starbucks" was listed baristas and bartenders)
_USE_DEGREE = re.compile(
    r"\b(?:(?:do|get|find)\s+with|use|using)\s+(?:my|this|that|a|the|an)\s+(?:\w+\s+)?(?:degree|diploma|major|studies|"
    r"qualification)s?\b|\bput\s+my\s+(?:\w+\s+)?(?:degree|diploma|studies)\s+to\s+(?:good\s+)?use\b|"
    r"\b(?:degree|diploma|studies)\s+(?:is\s+going|are\s+going|goes|went)\s+to\s+waste\b",
    re.I,
)


def asks_to_use_degree(text: str) -> bool:
    """Whether ``text`` asks what to do with what the person studied ("What can I do with my degree?")."""
    return bool(_USE_DEGREE.search(text))


def studied_phrases(text: str) -> list[GoalPhrase]:
    """What ``text`` says the person studied, as interest goals (``studied`` set): "a biology degree" -> biology."""
    out: list[GoalPhrase] = []
    for m in sorted((m for p in _STUDIED for m in p.finditer(text)), key=lambda m: m.start("field")):
        start, end = m.span("field")
        words = text[start:end].strip()
        if _NO_FIELD.fullmatch(words) or words.lower() in {"it", "that", "this", "one"}:
            continue
        if not any(p.target[0] < end and start < p.target[1] for p in out):
            out.append(GoalPhrase(m.span(), (start, end), words, False, interest=True, said=words, studied=True))
    return out


def vague_interest(words: str) -> bool:
    """Whether what a person enjoys names no kind of work ("working with people", "learning new things")."""
    return bool(_VAGUE_INTEREST.fullmatch(words.strip(" .!,")))


_INTEREST_PARTS = re.compile(r"\s*(?:,|;|&|\band\b|\bplus\b)\s*", re.I)


def specific_interest(words: str) -> str:
    """What a person enjoys without its vague parts: "working with my hands and fixing cars" -> "fixing cars".
    The vague part weighs as much as the rest when the whole is read by meaning, and it is near every manual
    job ("Grinding and Polishing Workers, Hand" came before Automotive Service Technicians). Unchanged when no
    part is vague, or every part is."""
    parts = [p for p in _INTEREST_PARTS.split(words) if p.strip(" .!,")]
    kept = [p for p in parts if not vague_interest(p)]
    return " and ".join(kept) if kept and len(kept) < len(parts) else words


_SECOND_PERSON = {
    "i": "you",
    "i'm": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "am": "are",
}
_FIRST_PERSON = re.compile(r"\b(?:i'm|i've|i'd|i|me|my|mine|myself|(?<=\bi )am)\b", re.I)


def to_second_person(words: str) -> str:
    """A person's own words said back to them: "working with my hands" -> "working with your hands"."""
    return _FIRST_PERSON.sub(lambda m: _SECOND_PERSON[m.group(0).lower()], words)


# Verbs that make a goal on their own: "switching to", "moving into", "break into", "retrain as".
_MOVE = (
    r"(?:switch(?:ing)?|transition(?:ing)?|pivot(?:ing)?|break(?:ing)?|mov(?:e|ing)|branch(?:ing)?|"
    r"cross(?:ing)?|jump(?:ing)?|chang(?:e|ing)|retrain(?:ing)?|shift(?:ing)?|head(?:ing)?|get(?:ting)?|go(?:ing)?)"
)
_GOAL_PATTERNS = [
    re.compile(rf"\b{_WISH}\b", re.I),
    re.compile(rf"\b{_MOVE}\s+(?:careers?\s+|fields?\s+|over\s+|back\s+)?(?:in)?to(?:wards?)?\b", re.I),
    re.compile(r"\bretrain(?:ing)?\s+(?:as|in|for)\b", re.I),
    re.compile(r"\bcareer\s+(?:change|switch|move|pivot|transition)\b", re.I),
    re.compile(r"\bbecom(?:e|ing)\b(?=\s+(?:an?|the)\b)", re.I),
    re.compile(r"\b(?:aspiring|future|would-be|wannabe|trainee)\b(?=\s+[a-z])", re.I),
    re.compile(r"\b(?:currently|now|am|i'?m)\s+learning\b", re.I),
]
# A goal clause whose verb is in the past is not a goal: "I switched to nursing in 2015", "I've moved into".
_PAST_BEFORE = re.compile(r"\b(?:have|'ve|had|already|recently|just|successfully|i\s+once)\s*$", re.I)
# ... and at a comma that starts a statement about the person ("looking for something new, I've been a cashier
# for 8 years": the cashier is who they are, not what they want)
_SENTENCE_END = re.compile(
    r"[.;!?\n]|\b(?:but|although|though|however)\b|,\s*(?=(?:i|i'?m|i'?ve|i\s+have|i\s+am|i\s+was|my)\b)", re.I
)
# "out of X and into Y": the person leaves X for Y.
_AWAY = re.compile(r"\band\s+(?:(?:move|get|go|switch|head)\s+)?(?:in)?to\b", re.I)
# Where the target of a goal ends.
_BOUNDARY = re.compile(
    # ("working with" is one thing a person enjoys: "fixing cars and working with my hands" was cut at "with")
    # three spaces: a limit blanked out of the text ("become a registered nurse [without going back to school]
    # for years" read "registered nurse for years") -- or a pasted text's column gap, a boundary too
    r"[.;!?\n()\[\]:]| {3,}|,|\b(?:but|because|since|so\s+that|so|while|though|although|whereas|where|after|before|"
    r"someday|one\s+day|eventually|in\s+the\s+(?:future|next|long\s+run)|soon|next\s+year|within|by\s+\d|"
    r"if|when|(?<!working\s)with|without|who|which|using\s+my|given|however|and\s+(?:i|i'm|im|i've|have|am|my|was|also|would|want)|"
    r"or\s+(?:maybe|perhaps|something)|instead\s+of|rather\s+than|at\s+some\s+point|now\s+that)\b",
    re.I,
)
# A wish that names no work yet ("something remote", "anything with computers") and the hedge after it that
# does (", maybe health informatics"): the named part is the target.
_VAGUE = re.compile(r"\b(?:something|anything|somewhere|a\s+change)\b", re.I)
_HEDGE_AFTER = re.compile(
    r"[\s,;\u2013\u2014-]*(?:or\s+)?(?:maybe|perhaps|possibly|probably|ideally|like|such\s+as|e\.?g\.?|"
    r"for\s+example|for\s+instance)[\s,:]+",
    re.I,
)
# Where one studies is the route to a goal, never the goal itself.
_ROUTE = re.compile(
    r"(?:back\s+to\s+)?(?:school|college|uni|university|grad(?:uate)?\s+school|night\s+school|studying)", re.I
)
# A second wish joined to the first: "learn Excel and become a data analyst".
_AND_GOAL = re.compile(
    r"\band\s+(?:then\s+)?(?:become|be\s+an?|get\s+into|move\s+into|switch\s+to|go\s+into|work\s+as)\b", re.I
)
# What the move is for, after the target: "learn SQL and get a job", "become a nurse and get a stable job" (the target
# was "SQL and get", which names nothing). "and get into ..." is a second goal (:data:`_AND_GOAL`).
_AND_PURPOSE = re.compile(
    r"\s*,?\s+and\s+(?:then\s+)?(?:get|find|land|have|earn|make|start|keep)\b(?!\s+(?:into|in|to|out)\b)", re.I
)
# Words around a target that are not the target: "get into the finance industry" → "finance".
_LEAD_FILLER = {
    "to",
    "into",
    "in",
    "as",
    "a",
    "an",
    "the",
    "get",
    "go",
    "work",
    "working",
    "be",
    "become",
    "becoming",
    "start",
    "starting",
    "move",
    "moving",
    "switch",
    "switching",
    "transition",
    "transitioning",
    "pivot",
    "pivoting",
    "break",
    "breaking",
    "change",
    "changing",
    "career",
    "careers",
    "field",
    "fields",
    "job",
    "jobs",
    "role",
    "roles",
    "position",
    "positions",
    "of",
    "something",
    "some",
    "kind",
    "sort",
    "type",
    "area",
    "world",
    "over",
    "towards",
    "toward",
    "pursue",
    "pursuing",
    "land",
    "landing",
    "find",
    "finding",
    "enter",
    "entering",
    "join",
    "joining",
    "explore",
    "exploring",
    "do",
    "doing",
    "try",
    "trying",
    "qualify",
    "train",
    "training",
    "retrain",
    "retraining",
    "for",
    "at",
    "on",
    "more",
    "maybe",
    "perhaps",
    "possibly",
    "really",
    "also",
    "one",
    "day",
    "opportunities",
    "opportunity",
    "eventually",
    "making",
    "make",
    "jump",
    "leap",
    "shift",
    "shifting",
    "head",
    "heading",
    "my",
    "own",
    "full",
    "time",
    "full-time",
    "proper",
    "new",
    # "looking for a civilian career" (a veteran) names no field: it was read as a goal of infantry officers
    "civilian",
    "actual",
    "entry",
    "level",
    "entry-level",
    "like",
    "about",
    "going",
    "back",
    "out",
    "myself",
    "up",
    "somewhere",
    "anything",
    "everything",
    "crossing",
    "cross",
    "branch",
    "branching",
    "learn",
    "learning",
    "study",
    "studying",
    "is",
    "me",
    "can",
    "could",
    "i",
    "how",
    "getting",
    "that",
    "this",
    "am",
    "i'm",
    "im",
    "would",
    "love",
    "with",
    "from",
    "here",
}
_TRAIL_FILLER = {
    "role",
    "roles",
    "job",
    "jobs",
    "field",
    "industry",
    "sector",
    "career",
    "careers",
    "work",
    "space",
    "area",
    "position",
    "positions",
    "eventually",
    "someday",
    "instead",
    "now",
    "too",
    "stuff",
    "things",
    "world",
    "profession",
    "department",
    "side",
    "track",
    "path",
    "one",
    "please",
    "somehow",
    "later",
    "again",
    "full-time",
    "type",
    "kind",
    "related",
    "domain",
    "route",
    "opportunities",
    "opportunity",
    "next",
}
_NEGATION = re.compile(
    r"\b(?:no|not|never|don'?t|do\s+not|doesn'?t|didn'?t|haven'?t|have\s+not|hasn'?t|without|lack(?:ing)?|"
    r"can'?t|cannot|zero|none|limited|unfamiliar|new\s+to)\b",
    re.I,
)
# "and" before a new subject starts a clause too: "I'm a pharmacist from India and my degree is not recognized" denies
# the degree, not the pharmacist
_CLAUSE = re.compile(
    r"[.;!?\n•|]|,|\b(?:but|though|although|whereas|however|while|except)\b|\band\s+(?=(?:my|i|i'm|im|i've)\b)", re.I
)
_SELF = re.compile(
    r"\b(?:i\s+am|i'?m|im|i\s+work(?:ed)?\s+as|i\s+work\s+in|working\s+as|work\s+as|i'?ve\s+been|i\s+have\s+been|"
    r"i\s+was|currently|employed\s+as|job\s+as|role\s+as|position\s+as|career\s+as|years?\s+as|"
    r"by\s+trade|my\s+job\s+is|my\s+title\s+is|title:|current\s+role:?|occupation:?|profession:?|i\s+do|"
    r"i\s+teach|i\s+taught)\b"
    # "I'm 55, been a machinist for 30 years": "I've" dropped, as people type (not "it has been a hard year")
    r"|(?<!has\s)(?<!it's\s)(?<!it\s)(?<!that\s)\bbeen\s+an?\b"
    # "8 years Army infantry", "12 yrs ICU nurse": a length of service right before what they did; not "3 years
    # ago", "5 years old", "2 years of experience", "10 years in retail" (no title follows), "years as" (above)
    r"|\b(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)\+?\s*"
    r"(?:years?|yrs?)\s+(?!(?:ago|old|later|left|from|before|since|now|back|of|in|at|on|as|for|to|and|or|but|"
    r"with|experience|exp|ahead|away|until|till)\b)(?=[a-z])",
    re.I,
)
_PAST = re.compile(
    r"\b(?:former(?:ly)?|ex-|used\s+to\s+be|i\s+was|previously|retired|in\s+my\s+previous|"
    r"back\s+when|once\s+worked|i\s+taught)\b",
    re.I,
)
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "a": 1,
    "a couple of": 2,
    "a few": 3,
    "several": 4,
}
_YEARS = re.compile(
    r"\b(?P<n>\d{1,2}(?:\.\d)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|a\s+couple\s+of|a\s+few|several)\s*\+?\s*(?:years?|yrs?)\b",
    re.I,
)
_SENIORITY = [
    ("lead", re.compile(r"\b(?:lead|head\s+of|principal|chief|director|manager\s+of\s+managers)\b", re.I)),
    ("senior", re.compile(r"\b(?:senior|sr\.?|experienced|veteran|seasoned)\b", re.I)),
    (
        "entry",
        re.compile(
            r"\b(?:junior|jr\.?|entry[- ]level|graduate|trainee|intern|apprentice|student|"
            r"fresher|just\s+graduated|new\s+grad)\b",
            re.I,
        ),
    ),
]


@dataclass(frozen=True)
class GoalPhrase:
    """A goal found in the text: the span of the whole goal clause and of its target words."""

    clause: tuple[int, int]
    target: tuple[int, int]
    text: str
    learn: bool  # the person wants to learn something ("learn Python"): a skill goal first
    interest: bool = False  # what the person enjoys doing (:data:`_INTEREST`), not a stated move
    said: str = ""  # an interest's words from its verb on ("working with kids", whose target is "kids")
    studied: bool = False  # the interest is what they studied (:func:`studied_phrases`)


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past filler words at both ends."""
    words = [
        (m.start() + start, m.end() + start, m.group().lower()) for m in re.finditer(r"[\w'’+#.-]+", text[start:end])
    ]
    i, j = 0, len(words)
    while i < j and words[i][2].strip(".") in _LEAD_FILLER:
        i += 1
    while j > i and words[j - 1][2].strip(".") in _TRAIL_FILLER | {"a", "an", "the", "of", "in", "to", "and", "or"}:
        j -= 1
    if i >= j:
        return start, start
    last_end = words[j - 1][1] - (1 if words[j - 1][2].endswith(".") else 0)
    return words[i][0], last_end


def goal_phrases(text: str) -> list[GoalPhrase]:
    """Goals stated in ``text``, in order: the target is the phrase after the goal words, up to the
    end of its clause, without filler ("the … industry", "a career in …")."""
    found: list[GoalPhrase] = []
    taken_until = -1
    cues = sorted(
        (m for p in (*_GOAL_PATTERNS, _INTEREST) for m in p.finditer(text)), key=lambda m: (m.start(), -m.end())
    )
    for m in cues:
        if m.start() < taken_until:
            continue
        if _PAST_BEFORE.search(text[max(0, m.start() - 25) : m.start()]):
            continue
        stop = _BOUNDARY.search(text, m.end())
        end = stop.start() if stop else len(text)
        second = _AND_GOAL.search(text, m.end(), end)
        if second is not None:
            # "learn Excel and become a data analyst": two wishes, the second found by its own cue
            end = second.start()
        t_start, t_end = _strip(text, m.end(), end)
        if t_end <= t_start and stop is not None and stop.group().lower() == "with":
            # "work with animals": here "with" opens the target instead of ending it
            stop = _BOUNDARY.search(text, stop.end())
            end = stop.start() if stop else len(text)
        purpose = _AND_PURPOSE.search(text, m.end(), end)
        if purpose is not None:
            end = purpose.start()
        t_start, t_end = _strip(text, m.end(), end)
        if t_end <= t_start:
            continue
        away = _AWAY.search(text, t_start, t_end)
        if away is not None:
            # "get out of hospitality and into real estate": the goal is what follows "into"
            t_start, t_end = _strip(text, away.end(), t_end)
            if t_end <= t_start:
                continue
        vague = _VAGUE.search(text, m.end(), t_end)
        hedge = _HEDGE_AFTER.match(text, t_end) if vague else None
        if hedge is not None:
            # "move into something remote, maybe health informatics": the vague wish is named after "maybe"
            stop = _BOUNDARY.search(text, hedge.end())
            named = _strip(text, hedge.end(), stop.start() if stop else len(text))
            if named[1] > named[0]:
                t_start, t_end = named
        target = text[t_start:t_end]
        if len(target.split()) > 8 or _ROUTE.fullmatch(target):
            continue  # "go back to school and become an engineer": school is the way there, not where to
        learn = bool(
            re.search(
                r"\b(?:learn(?:ing)?|study(?:ing)?|pick\s+up|get\s+better\s+at|improve)\b",
                text[m.start() : t_start],
                re.I,
            )
        )
        # the wish covers the rest of its sentence: "become an accountant who knows Python" holds no Python
        wish_end = _SENTENCE_END.search(text, t_end)
        clause = (m.start(), second.start() if second else wish_end.start() if wish_end else len(text))
        interest = m.re is _INTEREST
        # named back whole: "You enjoy creative stuff" (the target, "creative", read "You enjoy creative")
        tail = re.match(r"\s+(?:stuff|things)\b", text[t_end:]) if interest else None
        said = text[m.end() : t_end + (tail.end() if tail else 0)].strip() if interest else ""
        found.append(GoalPhrase(clause, (t_start, t_end), target, learn, interest=interest, said=said))
        taken_until = found[-1].clause[1]
    # what they studied, after what they say they want, where no stated goal already covers it
    return found + [
        p for p in studied_phrases(text) if not any(f.clause[0] <= p.target[0] < f.clause[1] for f in found)
    ]


def goal_outside(text: str, goal: GoalPhrase, regions: list[tuple[int, int]]) -> GoalPhrase | None:
    """``goal`` with ``regions`` (a wish about the move: "make more money", "well paid", "being outdoors") cut from
    the ends of its target: "a well paid job in healthcare" names healthcare, "move into finance and make more money"
    finance, "I love animals and being outdoors" animals; None when nothing is left ("I want to make more money"
    names no field)."""
    start, end = goal.target
    for r_start, r_end in sorted(regions):
        if r_end <= start or r_start >= end:
            continue
        if r_start <= start:
            start = r_end
        else:
            end = r_start
    start, end = _strip(text, start, end)
    if end <= start:
        return None
    if (start, end) == goal.target:
        return goal
    # an interest's own words lose the cut part too ("animals and being outdoors": animals)
    said = text[start:end] if goal.said and goal.said.endswith(text[goal.target[0] : goal.target[1]]) else goal.said
    return replace(goal, target=(start, end), text=text[start:end], said=said)


def clauses(text: str) -> list[tuple[int, int]]:
    """Clause spans: split at sentence punctuation, commas, bullets and contrastive conjunctions."""
    out, start = [], 0
    for m in _CLAUSE.finditer(text):
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


def negated_clauses(text: str) -> list[tuple[int, int]]:
    """Clauses that deny something ("no experience with SQL", "I don't drive"): nothing in them is held."""
    return [(s, e) for s, e in clauses(text) if _NEGATION.search(text, s, e) and _NEGATION.search(text[s:e])]


def self_cue_clauses(text: str) -> list[tuple[int, int, bool]]:
    """Clauses where a person says who they are ("I'm a nurse", "10 years as a welder"), with whether it
    is in the past ("I was a teacher", "former firefighter")."""
    out = []
    for s, e in clauses(text):
        part = text[s:e]
        if _SELF.search(part):
            out.append((s, e, bool(_PAST.search(part))))
    return out


# "I cut hair", "I mostly wire new builds", "25 years running a CNC machine", "been driving trucks since 2010":
# a person saying what they do rather than what they are called. The verb after "I" must be one of doing;
# what a person feels, wants, has or is ("I love the patients", "I live in Ohio", "I just got laid off") is not work.
_ACTIVITY = re.compile(
    # "I've worked in a warehouse for 6 years, mostly driving forklifts" was no sentence of work: the apostrophe
    # ended the "I", and "have" is no doing verb; a past participle after it is (tried first at each place)
    r"(?:^|[^\w'])(?:i|we)(?:'ve|’ve|\s+have)\s+(?:(?:mostly|mainly|also|always|just|only|actually|really)\s+)*"
    r"(?P<perfect>[a-z]+ed|driven|taught|done|run|built|made|sold|led|held|cut|written|fought|kept|spent|dealt|"
    r"drawn|grown|flown|sewn|sung|swept|dug|fed|met|shot)\b"
    r"|(?:^|[^\w'])(?:i|we)\s+(?:(?:mostly|mainly|also|now|currently|still|basically|just|usually|often|"
    r"primarily|actually|really|sometimes|then)\s+)*(?P<verb>[a-z]+)\b"
    r"|\b(?:years?|yrs?|decades?|months?)\s+(?:of\s+)?(?P<ing>[a-z]+ing)\b"
    r"|\b\d+\+?\s*(?:years?|yrs?)\s+(?P<where>in|at|on)\s+(?:a\s+|an\s+|the\s+)?[a-z]"
    r"|\bbeen\s+(?P<been>[a-z]+ing)\b",
    re.I,
)
# (the word after "I"; "don't" reads as "don", "I'm" never reaches here: the apostrophe ends the word)
_NOT_DOING = frozenset(
    """am m was were be been being have has had having do does did can could
    cannot should would will shall may might must need needs want wanted wants wanna like liked love loved
    loves hate hated enjoy enjoyed prefer think thought feel felt guess know knew believe hope hoped wish wished
    live lived moved move got get gets getting go went going come came finished finish graduated speak spoke
    read watch watched play played listen care cared wake woke sleep slept mean meant see saw seem seemed
    suppose reckon bet lost quit left retired studied study learn learned learnt is don didn doesn won isn wasn
    aren couldn wouldn shouldn haven hasn""".split()
)
# "I do nails", "I do people's taxes" are work; "I do not", "I do want to", "I do know" are not.
_DO_WORK = re.compile(
    r"\bdo\s+(?!not\b|n't\b|want|like|love|know|think|feel|have|need|hope|enjoy|believe|wonder|"
    r"care|mind|miss|agree|understand|remember|get\b|so\b|too\b|it\b|that\b|this\b|what\b)",
    re.I,
)
_NOT_DOING_ING = frozenset("being having going getting looking trying thinking hoping wanting planning".split())


def activity_clauses(text: str) -> list[tuple[int, int]]:
    """Sentences where the person says what they do: a doing verb after "I", "N years <verb>ing", "been
    <verb>ing", or "N years in/at/on <work>" ("10 years in call centres"); never a question. The linker accepts a weaker match by meaning for them (a sentence of work
    is about work) and ranks by the occupations' task statements when no title is named."""
    out = []
    for s, e in _sentences(text):
        part = text[s:e]
        if part.rstrip().endswith("?"):
            continue
        for m in _ACTIVITY.finditer(part):
            verb = (m.group("verb") or m.group("perfect") or "").lower()
            ing = (m.group("ing") or m.group("been") or "").lower()
            doing = verb not in _NOT_DOING or (verb == "do" and _DO_WORK.match(part, m.start("verb")))
            if (verb and doing) or (ing and ing not in _NOT_DOING_ING) or m.group("where"):
                out.append((s, e))
                break
    return out


# "running a CNC machine", "I operate a forklift", "drove a school bus": the work's object with the agent noun of
# its verb is often a title ("CNC machine operator", "forklift operator", "school bus driver") that the person
# never typed. Only verbs whose agent noun is unambiguous; the object is at most four words, up to a preposition.
_AGENT = {
    "operator": r"run|runs|running|ran|operate|operates|operating|operated",
    "driver": r"drive|drives|driving|drove",
}
_OBJECT_END = r"(?=\s+(?:in|at|for|on|with|from|to|and|since|during|every|all|at|until|because)\b|\s*[,.;:!?()\n]|\s*$)"
_DERIVED = re.compile(
    rf"\b(?P<verb>{'|'.join(_AGENT.values())})\s+(?:(?:a|an|the|my|our|their|his|her)\s+)?"
    rf"(?P<object>(?:[\w/-]+\s+){{0,3}}?[\w/-]+){_OBJECT_END}",
    re.I,
)


# "run" is also to manage ("I run the kitchen", "run a team"): it implies an operator only of equipment
_RUN = re.compile(r"run|runs|running|ran", re.I)
_EQUIPMENT = re.compile(
    r"\b(?:machines?|machinery|press(?:es)?|lathes?|mills?|cranes?|forklifts?|equipment|boilers?|kilns?|furnaces?|"
    r"loaders?|excavators?|dozers?|bulldozers?|rigs?|lines?|saws?|routers?|looms?|presses)$",
    re.I,
)


# Where the work is done can name it as plainly as a verb: "20 years on the assembly line" is an assembly line
# worker, "laid off from a factory job" a factory worker (both O*NET alternate titles); with neither title typed,
# "Laid off from a factory job after 20 years on the assembly line. I'm 55. What now?" read as nonsense.
_WORKPLACE = [
    (re.compile(r"\bon\s+(?:the|an?|a)\s+(?P<thing>assembly|production)\s+lines?\b", re.I), "{thing} line worker"),
    (re.compile(r"\bfactory\s+(?:job|jobs|work)\b|\bwork(?:s|ed|ing)?\s+(?:in|at)\s+(?:a|the)\s+factory\b", re.I),
     "factory worker"),
    # "I worked in a warehouse for 6 years" was a sales supervisor by meaning (the colloquial "warehouse worker")
    (re.compile(r"\bwarehouse\s+(?:job|jobs|work)\b|\bwork(?:s|ed|ing)?\s+(?:in|at)\s+(?:a|the)\s+warehouses?\b", re.I),
     "warehouse worker"),
    # "20 years in retail management" was a retail supervisor only by meaning (not sure), so the list offered
    # their own occupation back as "a stretch move"; "in project management", "in property management" alike
    (re.compile(r"\bin\s+(?P<thing>[a-z]+)\s+management\b", re.I), "{thing} manager"),
    # "I drive for Uber" was a driver of some kind only by meaning, so not sure, and every move a "stretch"
    (re.compile(r"\b(?:drive|drives|driving|drove|driver)\s+(?:for\s+)?(?:uber|lyft)\b", re.I), "rideshare driver"),
    (re.compile(r"\b(?:drive|drives|driving|drove|deliver|delivers|delivering|delivered)\s+for\s+"
                r"(?:doordash|door\s+dash|instacart|grubhub|uber\s+eats|postmates|amazon\s+flex|amazon)\b", re.I),
     "delivery driver"),
]  # fmt: skip


def workplace_titles(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, title)``: the titles where the work is done implies ("on the assembly line" -> "assembly line
    worker", "a factory job" -> "factory worker"), with the span of the words they come from."""
    return [
        (m.start(), m.end(), title.format(thing=(m.groupdict().get("thing") or "").lower()))
        for pattern, title in _WORKPLACE
        for m in pattern.finditer(text)
    ]


# A sentence about the person: their words ("I just got laid off from a factory job"), or none before a verb of
# losing or doing work ("Laid off from a factory job after 20 years"); not when it is about someone close to them
_OF_THEMSELVES = re.compile(
    r"(?:^|[^\w'])(?:i|i'm|im|i've|me|my)\b|^\W*(?:just\s+)?(?:got\s+)?(?:laid\s+off|lost|left|quit|worked|spent|fired|let\s+go)\b",
    re.I,
)
_OF_OTHERS = re.compile(
    r"\b(?:my|our)\s+(?:dad|mom|mum|father|mother|husband|wife|son|daughter|brother|sister|friend|partner|parents?|"
    r"kids?|boss|uncle|aunt|grand\w+)\b",
    re.I,
)


def own_sentences(text: str) -> list[tuple[int, int]]:
    """Statements (not questions) in which the person speaks of themselves and of no one close to them: where the
    work was done names their work there even without a verb of doing ("I just got laid off from a factory job after
    30 years" read as nonsense: "got" is no work, so it was no sentence of work)."""
    return [
        (s, e)
        for s, e in _sentences(text)
        if not text[s:e].rstrip().endswith("?")
        and _OF_THEMSELVES.search(text[s:e])
        and not _OF_OTHERS.search(text[s:e])
    ]


def derived_titles(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, title)``: the titles the work described implies ("running a CNC machine" -> "CNC machine
    operator", "on the assembly line" -> "assembly line worker"), with the span of the words they come from. The
    linker looks each up in the title index."""
    out = workplace_titles(text)
    for m in _DERIVED.finditer(text):
        verb, thing = m.group("verb"), m.group("object")
        if (_RUN.fullmatch(verb) and not _EQUIPMENT.search(thing)) or thing.lower().startswith("for "):
            continue  # "drive for Uber" names the employer (the workplace patterns above), not what is driven
        agent = next(a for a, verbs in _AGENT.items() if re.fullmatch(verbs, verb, re.I))
        out.append((m.start(), m.end(), f"{thing} {agent}"))
    return out


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans, each with its closing punctuation (a question keeps its "?")."""
    return [(m.start(), m.end()) for m in re.finditer(r"[^.;!?\n]+[.;!?]*", text) if m.group().strip()]


def past_clauses(text: str) -> list[tuple[int, int]]:
    return [(s, e) for s, e in clauses(text) if _PAST.search(text[s:e])]


# Time away from paid work: "a stay-at-home mom for 10 years", "out of the workforce since 2015", "took 8 years off
# to raise my kids", "a career break". Its years are not experience, and the work named before it is the person's.
_CAREER_BREAK = re.compile(
    r"\b(?:stay[- ]at[- ]home\s+(?:mom|mum|mother|dad|father|parent)|home\s*maker|housewife|house\s+husband|"
    r"full[- ]time\s+(?:mom|mum|mother|dad|father|parent)|career\s+break|out\s+of\s+(?:the\s+)?work\s*force|"
    r"(?:took|taking|take)\s+(?:\w+\s+){0,3}?(?:years?|time)\s+off|raising\s+(?:my|our|the)\s+(?:kids|children|family)|"
    r"(?:haven'?t|have\s+not|hasn'?t)\s+worked\s+(?:in|for))\b",
    re.I,
)


def career_break_clauses(text: str) -> list[tuple[int, int]]:
    """Clauses of ``text`` where the person says they have been away from paid work."""
    return [(s, e) for s, e in clauses(text) if _CAREER_BREAK.search(text[s:e])]


# Not having worked yet: "I just finished high school and have no experience", "never had a job", "looking for my
# first job", "school leaver". Not experience of one thing ("no experience with SQL", "no experience in healthcare":
# a gap, and other work may be theirs), not "I never worked in retail", and not a first job in the past ("my first job
# was at McDonald's"). A college degree is a different start (what they studied leads), so it is not read here.
_FIRST_WORK = re.compile(
    r"\b(?:no|zero|without(?:\s+any)?|don'?t\s+have(?:\s+any)?|do\s+not\s+have(?:\s+any)?|little\s+or\s+no)\s+"
    r"(?:real\s+|prior\s+|previous\s+|paid\s+|professional\s+|formal\s+|actual\s+)?(?:work\s+|job\s+)?experience\b"
    r"(?!\s+(?:with|in|as|using|of|doing|on|at)\b)|"
    r"\b(?:never|not\s+yet|haven'?t\s+(?:ever\s+)?|have\s+not\s+(?:ever\s+)?)\s*(?:had|held)\s+(?:a|any)\s+"
    r"(?:real\s+|paid\s+|proper\s+)?jobs?\b|"
    r"\b(?:never|haven'?t|have\s+not)\s+worked(?:\s+(?:before|yet|a\s+day))?(?=\s*(?:[.,;!?]|$|and\b|but\b|so\b))|"
    r"\b(?:looking\s+for|find|finding|get|getting|land|landing|want|need|start)\s+(?:my|a)\s+first\s+"
    r"(?:real\s+|paid\s+|proper\s+)?job\b|"
    r"\b(?:just|recently)\s+(?:finished|graduated(?:\s+from)?|left|completed|got\s+out\s+of|out\s+of)\s+"
    r"(?:high\s+school|secondary\s+school|school)\b|"
    r"\bfresh\s+out\s+of\s+(?:high\s+school|school)\b|\bschool\s+leaver\b|"
    r"\bnew\s+to\s+the\s+(?:work\s*force|job\s+market)\b",
    re.I,
)
_COLLEGE = re.compile(r"\b(?:college|university|uni|degree|bachelor'?s?|master'?s?|graduate\s+school|phd)\b", re.I)


def first_work(text: str) -> tuple[int, int] | None:
    """Where the person says they have not worked yet (:data:`_FIRST_WORK`); None when they say they studied at a
    college or university, or nowhere."""
    m = _FIRST_WORK.search(text.replace("’", "'"))
    if m is None or _COLLEGE.search(text):
        return None
    return m.span()


# The kind of work a person leans to when what they enjoy names no work ("I like working with my hands", "I like
# working with people": vague interests, no goal): one of O*NET's interest dimensions (RIASEC), which orders the list
# they have. Only after a word of liking, not denied in between ("I hate working with people" leans nowhere).
_LEANINGS = (
    (
        "Realistic",
        re.compile(
            r"\b(?:working|work|doing\s+things)\s+with\s+my\s+hands\b|\bhands[- ]on\s+(?:work|jobs?|stuff|things)\b|"
            r"\b(?:building|fixing|making)\s+things\b",
            re.I,
        ),
    ),
    (
        "Social",
        re.compile(
            r"\b(?:working|work|dealing)\s+with\s+(?:people|others|the\s+public)\b|\ba\s+people\s+person\b", re.I
        ),
    ),
    # "I'm an accountant but I'm bored. I like creative stuff." (with work named, what they enjoy is no goal)
    (
        "Artistic",
        re.compile(r"\bcreative\s+(?:stuff|things|work|jobs?|projects?)\b|\bbeing\s+creative\b", re.I),
    ),
)
_LIKING = re.compile(
    r"\b(?:like|likes|love|loves|enjoy|enjoys|prefer|into|happiest|good\s+at|want|i'?m)\b[^.;!?]{0,25}$", re.I
)
_DENIED = re.compile(r"n't\b|\b(?:not|never|hate|hates|dislike|cannot|no)\b", re.I)


def leaning(text: str) -> tuple[str, tuple[int, int]] | None:
    """The O*NET interest (RIASEC) a person leans to and the words it comes from (:data:`_LEANINGS`), or None."""
    text = text.replace("’", "'")
    for dimension, pattern in _LEANINGS:
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 40) : m.start()]
            said = re.split(r"[.;!?,]", before)[-1]  # within its clause
            if _LIKING.search(said) and not _DENIED.search(said):
                return dimension, m.span()
    return None


def years_of_experience(text: str) -> float | None:
    """The largest number of years a person states ("15 years", "two years"), when plausible (≤ 60)."""
    best = None
    for m in _YEARS.finditer(text):
        raw = m.group("n").lower()
        raw = re.sub(r"\s+", " ", raw)
        value = float(_NUMBER_WORDS[raw]) if raw in _NUMBER_WORDS else float(raw)
        if 0 < value <= 60 and (best is None or value > best):
            best = value
    return best


def seniority(text: str, years: float | None) -> str | None:
    for level, pattern in _SENIORITY:
        if pattern.search(text):
            return level
    if years is None:
        return None
    return "entry" if years < 2 else "mid" if years < 7 else "senior"


def inside(span: tuple[int, int], regions: list[tuple[int, int]] | list[tuple[int, int, bool]]) -> bool:
    """Whether ``span`` lies within one of ``regions``."""
    return any(r[0] <= span[0] and span[1] <= r[1] for r in regions)


#: What lies between a wish and the limit that rules it out: "..., but I can't afford ...", "... but no way I can
#: do ..." -- a "but" within the sentence, not far.
_BUT_THEN = re.compile(r"^[^.!?]{0,40}\bbut\b[^.!?]{0,40}$", re.I)


def ruled_out_by(text: str, span, limits: list[tuple[int, int]]) -> bool:
    """Whether the goal at ``span`` (a :class:`Span` or None) is followed in its sentence by "but" and one of
    ``limits``: the person wants it and rules it out in the same breath ("I'd like to become a pharmacist but I
    can't afford 6 more years of school"). "I want to become a nurse without going back to school" is a goal
    under a limit, not one ruled out: no "but"."""
    if span is None:
        return False
    return any(start >= span.end and _BUT_THEN.match(text[span.end : start]) for start, _end in limits)


def blank(text: str, regions: list[tuple[int, int]]) -> str:
    """``text`` with ``regions`` replaced by spaces (offsets unchanged): the words left out of a reading
    (a goal's target, a limit) without moving the spans found in the rest."""
    chars = list(text)
    for start, end in regions:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
