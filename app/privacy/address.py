"""Postal addresses: street lines, PO boxes, "City, ST 12345" lines, address blocks and postcodes.

Rules (each documented where it is defined), in decreasing order of certainty:

* a postcode in a shape career text does not have: US ZIP+4 (``12345-6789``), UK (``SW1A 1AA``),
  Canadian (``K1A 0B1``), Irish Eircode (``D02 X285``), or any value after a label (``ZIP:``,
  ``Postcode``, ``PIN code``); a 6-digit Indian PIN after a place name (``Pune - 411038``) unless
  the word before is an amount word (``Salary 600000``);
* a US/Canadian/Australian locality line: ``City, ST 12345`` / ``City, QC H2X 1Y4`` /
  ``City, NSW, 2000`` (the whole line is the address: with a postcode the city is part of it);
  military ``APO AE 09012``;
* a street line: a house number, up to four capitalised words and a street word (``Street``,
  ``Rd``, ``Marg``, ...), with an optional unit (``Apt 4B``, ``Suite 300``); ``PO Box 123``;
* context: ``Address: ...`` / ``Home: ...`` (to the end of the line) and "I live at ..." (to the
  end of the sentence);
* around a street: the locality right after a street line ("Marktown 5093": a bare 4-5 digit code
  counts only there), and a number-led street and town right before a postcode inside a sentence
  ("send it to 566 Sutton Plains, Jessicaview 10022"); a unit line ("Level 2 40 Turner Ronde");
* blocks: up to four short lines right above a postcode or locality line, when each looks like an
  address part (starts with a number or a unit word, or is a few capitalised non-career words).

A bare 5-digit number is never redacted on its own (salaries, counts and model numbers look the
same); it is when it follows a state code or a label.
"""

from __future__ import annotations

import re

from app.privacy.spans import PiiSpan
from app.privacy.vocab import CAREER_WORDS, FUNCTION_WORDS

_US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "PR",
    "GU",
    "VI",
    "AS",
    "MP",
    "FM",
    "MH",
    "PW",
    "AA",
    "AE",
    "AP",
]
_CA_PROVINCES = ["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"]
_AU_STATES = ["NSW", "VIC", "QLD", "TAS", "ACT", "NT", "SA", "WA"]
_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|"
    "Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|"
    "Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|"
    "New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|"
    "South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|"
    "Wisconsin|Wyoming|Ontario|Quebec|British Columbia|Alberta|Manitoba|Saskatchewan|Nova Scotia|"
    "New Brunswick|New South Wales|Victoria|Queensland|Tasmania"
)

UK_POSTCODE = r"(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})"
CA_POSTCODE = r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d"
IE_EIRCODE = r"[AC-FHKNPRTV-Y]\d{2} ?[AC-FHKNPRTV-Y0-9]{4}"
US_ZIP = r"\d{5}(?:-\d{4})?"

_POSTCODE_RES = [
    re.compile(r"(?<![\w-])\d{5}-\d{4}(?![\w-])"),  # ZIP+4
    re.compile(r"(?<![\w-])" + UK_POSTCODE + r"(?![\w-])"),
    re.compile(r"(?<![\w-])" + CA_POSTCODE + r"(?![\w-])"),
    re.compile(r"(?<![\w-])" + IE_EIRCODE + r"(?![\w-])"),
]
_LABELLED_POSTCODE = re.compile(
    r"\b(?:zip(?:\s*code)?|postal\s*code|post\s*code|postcode|pin\s*code|pincode|pin)\s*(?:no\.?\s*)?[:#-]?\s*"
    r"(?P<v>[A-Z0-9](?:[A-Z0-9 -]{1,8}[A-Z0-9])?)(?![\w-])",
    re.IGNORECASE,
)
# "Pune - 411038", "Sagar-586834", "Bhopal 690743": a 6-digit (Indian PIN) code after a place name
_INDIAN_PIN = re.compile(r"\b(?P<w>[A-Z][a-z]+)(?:[ \t]*[-–,][ \t]*|[ \t]+)(?P<v>\d{3} ?\d{3})(?![\w-])")
_CITY = r"\b[A-Z][\w'’.-]*(?:[ \t]+[A-Z][\w'’.-]*){0,3}"
_US_CA_STATE = (
    r"(?:" + "|".join(sorted(set(_US_STATES + _CA_PROVINCES), key=len, reverse=True)) + "|" + _STATE_NAMES + ")"
)
_AU_STATE = r"(?:" + "|".join(_AU_STATES) + ")"
_AMOUNT_WORDS = frozenset(
    [
        "revenue",
        "salary",
        "ctc",
        "budget",
        "income",
        "turnover",
        "cost",
        "costs",
        "price",
        "amount",
        "rs",
        "inr",
        "usd",
        "eur",
        "gbp",
        "sales",
        "savings",
        "worth",
        "value",
        "valued",
        "total",
        "approx",
        "approximately",
        "around",
        "over",
        "about",
    ]
)
_LOCALITY = re.compile(
    r"(?:" + _CITY + r",?[ \t]*)?\b" + _US_CA_STATE + r"\.?,?[ \t]+(?:" + US_ZIP + "|" + CA_POSTCODE + r")(?![\w-])"
    r"|" + _CITY + r",?[ \t]+" + _AU_STATE + r",?[ \t]+\d{4}(?![\w-])"
)
_MILITARY = re.compile(
    r"\b(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5}\b|\b(?:PSC|Unit|USNS|USNV|USS)[ \t]+\d{1,5},?[ \t]+Box[ \t]+\d{1,5}\b"
)

STREET_WORDS = (
    "Street|St|Road|Rd|Avenue|Ave|Av|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Square|Sq|Terrace|Ter|"
    "Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Trl|Crescent|Cres|Close|Mews|Grove|Gardens|Gdns|Alley|Plaza|"
    "Crossing|Expressway|Freeway|Pike|Loop|Way|Row|Walk|Hill|Heights|Hts|Ridge|Park|Green|Rise|Vale|Wharf|Quay|"
    "Hollow|Junction|Village|Villas|Estate|Marg|Nagar|Ganj|Chowk|Colony|Layout|Sector|Path|Bypass|Centreway|"
    "Esplanade|Parade|Promenade|Causeway|Broadway|Route|Fork|Forks|Harbor|Harbour|Meadow|Meadows|Springs|"
    "Station|Summit|Valley|View|Point|Pointe|Shores|Knoll|Landing|Commons|Track|Tunnel|Turnpike|Manor|Mall|"
    "Circus|Crest|Dale|Glen|Court|Cove|Creek|Field|Fields|Wood|Woods"
)
_UNIT = (
    r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Level|Lvl|Lot|Shop|Villa|Block|Tower|Wing|Room|Rm|Studio|"
    r"Bldg|Building|#)\.?[ \t]*#?[ \t]*[\w-]{1,6}"
)
_STREET = re.compile(
    r"(?<![\w/.-])\d{1,6}[A-Za-z]?(?:[/-]\d{1,4}[A-Za-z]?)?,?[ \t]+"
    r"(?:(?:[NSEW]\.?|North|South|East|West)[ \t]+)?"
    r"(?:[A-Z][\w'’.-]*[ \t]+){1,4}?"
    r"(?:" + STREET_WORDS + "|" + STREET_WORDS.lower() + r")\.?(?![\w])"
    r"(?:,?[ \t]+" + _UNIT + r")?"
)
_PO_BOX = re.compile(
    r"\b(?:P\.?[ \t]?O\.?[ \t]?Box|Post[ \t]+Office[ \t]+Box|Private[ \t]+Bag)[ \t]*#?[ \t]*\d{1,6}\b", re.IGNORECASE
)
# "Address: ..." as a field (line start or after a separator), not "IP address - configured ..."
_ADDRESS_LABEL = re.compile(
    r"(?:^|(?<=[|•·;]))[ \t*•-]*(?:(?:home|postal|mailing|permanent|current|residential|present|correspondence|"
    r"communication)?[ \t]*address[ \t]*(?:for[ \t]+correspondence[ \t]*)?[:\-–]|home[ \t]*:|residence[ \t]*:)"
    r"[ \t]*(?P<v>[^\n|•]{3,160})",
    re.IGNORECASE | re.MULTILINE,
)
_LIVES_AT = re.compile(
    r"\b(?:i[ \t]+live|i'm[ \t]+living|lives|living|i[ \t]+reside|resides|residing|staying)[ \t]+(?:at|on)[ \t]+"
    r"(?P<v>[^\n;]{3,120}?)(?=\.[ \t]|\.$|\n|;|$)",
    re.IGNORECASE | re.MULTILINE,
)
_UNIT_LINE = re.compile(
    r"^(?:" + _UNIT + r"|(?:House|Plot|Door|H\.?\s?No\.?|Flat No\.?)[ \t]*[\w/-]{1,8}|RD[ \t]+\d{1,3})\b", re.IGNORECASE
)
# a line that is only a unit and a street: "Level 2 40 Turner Ronde", "Flat 30, Lane Fort"
_UNIT_LINE_ANYWHERE = re.compile(
    r"(?m)^[ \t]*(?:Apt|Apartment|Suite|Unit|Flat|Level|Lot|Shop|Villa|Studio|House|Plot|H\.?[ \t]?No\.?)\.?[ \t]*\d{1,5}[A-Za-z]?"
    r",?(?:[ \t]+\d{1,6}[A-Za-z]?)?(?:,?[ \t]+[A-Z][\w'’.-]*){1,4}[ \t]*$"
)
_STOP_LABEL = re.compile(
    r"[ \t]*(?:\||•|·|;|\b(?:phone|tel|mobile|cell|email|e-mail|dob|date of birth)\b)", re.IGNORECASE
)


def _looks_like_address_line(line: str) -> bool:
    """A short line that can be part of an address block (street, unit, district, town)."""
    words = line.replace(",", " ").split()
    if not words or len(words) > 7 or len(line) > 70:
        return False
    if line[:1].isdigit() or _UNIT_LINE.match(line) or _STREET.match(line):
        return True
    caps = [w for w in words if w[:1].isupper()]
    return (
        len(caps) == len(words)
        and len(words) <= 4
        and not line.rstrip().endswith((":", ".", "!", "?"))
        and not any(w.lower().strip(".,") in CAREER_WORDS for w in words)
    )


_SENTENCE_END = re.compile(r"[a-z]{2,}[.!?][ \t]+\S")  # "... since 2019. Boston, MA" but not "H.No. 69"
_POSTCODE_LABELS = frozenset({"postcode", "zip", "zipcode", "pin", "pincode", "eircode", "code", "postal"})
_PREFIX_JOINERS = frozenset({"&", "-", "–", "of", "and", "the", "on", "upon", "en", "la", "le", "de"})


def _looks_like_locality_prefix(prefix: str) -> bool:
    """The part of a postcode line before the code: a few capitalised place words, numbers and commas."""
    words = prefix.replace(",", " ").split()
    if not words or len(words) > 8 or ":" in prefix or _SENTENCE_END.search(prefix):  # "ZIP: " is a label
        return False
    if words[-1].lower() in _POSTCODE_LABELS:  # "Postcode EH1 1YZ": the label stays
        return False
    return all(w[:1].isupper() or w[:1].isdigit() or w.lower() in _PREFIX_JOINERS for w in words)


def _blocks(text: str, postal: list[tuple[int, int]]) -> list[PiiSpan]:
    """Lines right above a postcode/locality line that look like the rest of the address."""
    out = []
    for start, _end in postal:
        line_start = text.rfind("\n", 0, start) + 1
        prefix = text[line_start:start]
        if prefix.strip() and _looks_like_locality_prefix(prefix):  # "Divan Nagar, Raurkela Township - "
            out.append(PiiSpan(line_start + len(prefix) - len(prefix.lstrip()), start, "address"))
        elif prefix.strip():
            continue  # the postcode sits in a sentence: not a block
        pos = line_start - 1
        for _ in range(4):
            if pos <= 0:
                break
            prev_start = text.rfind("\n", 0, pos) + 1
            line = text[prev_start:pos].strip()
            if not line or not _looks_like_address_line(line):
                break
            lead = len(text[prev_start:pos]) - len(text[prev_start:pos].lstrip())
            out.append(PiiSpan(prev_start + lead, prev_start + lead + len(line), "address"))
            pos = prev_start - 1
    return out


def _value_span(text: str, m: re.Match, group: str = "v") -> PiiSpan | None:
    value = m.group(group)
    stop = _STOP_LABEL.search(value)
    if stop:
        value = value[: stop.start()]
    value = value.rstrip(" \t,.;")
    if len(value.strip()) < 3:
        return None
    return PiiSpan(m.start(group), m.start(group) + len(value), "address")


_NAMEWORD = r"[A-Z][\w'’.-]*"
# the locality after a street line: "Marktown 5093", "East Stephanieland, 2604" (a bare 4-5 digit code
# counts only here, right after a street, never on its own: "Toronto 2019" is a year)
_LOCALITY_AFTER_STREET = re.compile(
    r"(?:,[ \t]*|[ \t]*\n[ \t]*)(?P<v>" + _NAMEWORD + r"(?:[ \t]+" + _NAMEWORD + r"){0,3},?[ \t]+\d{4,5})(?![\w-])"
)
# before a postcode in running text: "... at 566 Sutton Plains, Jessicaview " (number-led street, town)
_STREET_BEFORE_POSTCODE = re.compile(
    r"(?P<v>\d{1,6}[A-Za-z]?(?:[/-]\d{1,4}[A-Za-z]?)?,?[ \t]+(?:"
    + _NAMEWORD
    + r"[ \t]+){0,4}"
    + _NAMEWORD
    + r"(?:,[ \t]*(?:"
    + _NAMEWORD
    + r"[ \t]+){0,3}"
    + _NAMEWORD
    + r")?,?[ \t]*)$"
)


def _around_streets(text: str, streets: list[PiiSpan], postal: list[tuple[int, int]]) -> list[PiiSpan]:
    """The locality line after a street, and the street before a postcode inside a sentence."""
    out = []
    for span in streets:
        m = _LOCALITY_AFTER_STREET.match(text, span.end)
        if m:
            out.append(PiiSpan(m.start("v"), m.end("v"), "address"))
    for start, _end in postal:
        line_start = text.rfind("\n", 0, start) + 1
        m = _STREET_BEFORE_POSTCODE.search(text[max(line_start, start - 160) : start])
        if m:
            offset = max(line_start, start - 160)
            out.append(PiiSpan(offset + m.start("v"), offset + m.end("v"), "address"))
    return out


def address_spans(text: str) -> list[PiiSpan]:
    """Spans of addresses (kind ``address``) and postcodes (kind ``postcode``) in ``text``."""
    spans: list[PiiSpan] = []
    postal: list[tuple[int, int]] = []
    for pattern in _POSTCODE_RES:
        for m in pattern.finditer(text):
            spans.append(PiiSpan(m.start(), m.end(), "postcode"))
            postal.append((m.start(), m.end()))
    for m in _LABELLED_POSTCODE.finditer(text):
        if any(ch.isdigit() for ch in m.group("v")):
            spans.append(PiiSpan(m.start("v"), m.end("v"), "postcode"))
            postal.append((m.start("v"), m.end("v")))
    for m in _INDIAN_PIN.finditer(text):
        word = m.group("w").lower()
        if word not in CAREER_WORDS and word not in FUNCTION_WORDS and word not in _AMOUNT_WORDS:
            spans.append(PiiSpan(m.start("v"), m.end("v"), "postcode"))
            postal.append((m.start("w"), m.end("v")))
    for pattern in (_LOCALITY, _MILITARY):
        for m in pattern.finditer(text):
            spans.append(PiiSpan(m.start(), m.end(), "address"))
            postal.append((m.start(), m.end()))
    streets = [PiiSpan(m.start(), m.end(), "address") for pattern in (_STREET, _PO_BOX) for m in pattern.finditer(text)]
    streets += [PiiSpan(m.start(), m.end(), "address") for m in _UNIT_LINE_ANYWHERE.finditer(text)]
    spans += streets
    for pattern in (_ADDRESS_LABEL, _LIVES_AT):
        for m in pattern.finditer(text):
            span = _value_span(text, m)
            if span is not None:
                spans.append(span)
    spans += _blocks(text, postal)
    spans += _around_streets(text, streets + [s for s in spans if s.kind == "address"], postal)
    return spans
