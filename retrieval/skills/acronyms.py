"""Which acronym aliases may stand for a skill, and which need their context to say so.

Why: "POS" in a retail résumé was read as the ESCO skill "blockchain consensus mechanisms" (an
alternative label of it, for "proof of stake"), "PMP" as the O*NET product "Pathogen Modeling
Program", "CPC" (the UK driver's certificate) as "pay-per-click". Acronyms are where alias
matching loses its precision, so two rules apply to every one-word, acronym-shaped alias:

1. **Established** (build time): the acronym must abbreviate the skill itself -- its label, the
   label without a vendor prefix, or another multi-word alias of the same skill -- letter by
   letter from the words' initials ("Structured query language" → SQL, "JavaServer Pages" → JSP).
   "POS" from "CAM Commerce Solutions Retail STAR Point of Sale POS" abbreviates only "point of
   sale", not that product, and "SAS" does not abbreviate "Digital analysis tests and statistics
   DATAS for SAS": such aliases are dropped. Acronyms named as the skill's own label ("SQL",
   "PHP") always stand.
2. **Ambiguous** (serving time): an acronym attested for more than one meaning -- two skills with
   different expansions in the catalogue, a credential (``retrieval.skills.credentials``), or a
   common meaning listed in :data:`WORLD_SENSES` ("POS" point of sale, "ACLS" access control lists)
   -- only counts when a word of the skill's own label or aliases appears near it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

#: Words an acronym may skip or take a letter from ("proof of stake" → POS, "Point of Sale" → POS).
STOPWORDS = frozenset({"of", "and", "for", "the", "to", "in", "on", "a", "an", "with", "by", "at", "or", "&", "de"})
#: Meanings of short acronyms that people use far more often than the catalogue's, so that an
#: acronym the catalogue attests once is still known to be ambiguous. Kept short and general.
WORLD_SENSES: dict[str, tuple[str, ...]] = {
    "pos": ("point of sale", "part of speech"),
    "acl": ("access control list", "anterior cruciate ligament"),
    "acls": ("access control lists",),
    "bls": ("bureau of labor statistics",),
    "cpa": ("cost per acquisition",),
    "cpc": ("cost per click",),
    "ar": ("accounts receivable",),
    "ap": ("accounts payable",),
    "hr": ("human resources",),
    "pr": ("public relations",),
    "ict": ("information and communication technology",),
    "ems": ("emergency medical services",),
    "er": ("emergency room",),
    "ot": ("occupational therapy",),
    "pt": ("physical therapy",),
    "poc": ("proof of concept",),
    "sem": ("search engine marketing",),
    "sop": ("standard operating procedure",),
    "otr": ("over the road",),
    "ppe": ("personal protective equipment",),
    "mis": ("management information system",),
    "pmp": ("project management professional",),
    "pms": ("property management system", "premenstrual syndrome"),
    "ats": ("applicant tracking system",),
    "lms": ("learning management system",),
}
_ACRONYM_SHAPE = re.compile(r"^(?=(?:[^A-Z]*[A-Z]){2})[A-Za-z0-9+#./-]{2,8}$")
_WORD = re.compile(r"[a-z0-9]+")


def is_acronym(alias: str) -> bool:
    """One word written with at least two capitals and mostly capitals: "POS", "PCBs", "dPOS", "MSVC++"."""
    if " " in alias or not _ACRONYM_SHAPE.match(alias):
        return False
    letters = [c for c in alias if c.isalpha()]
    return sum(c.isupper() for c in letters) * 2 > len(letters)


def _letters(acronym: str) -> str:
    return "".join(c for c in acronym.lower() if c.isalnum())


def _camel_parts(word: str) -> list[str]:
    """Initials a word may contribute beyond its first letter: inner capitals ("JavaServer" → s)."""
    return [c.lower() for c in word[1:] if c.isupper()]


def abbreviates(acronym: str, phrase: str) -> bool:
    """True if ``acronym`` is made of the initials of ``phrase``'s words, in order: every word that is
    not a stopword gives its first letter (a stopword may give it or be skipped), and a word may add
    its inner capitals or following letters ("Hypertext markup" → HTM, "JavaServer Pages" → JSP).
    A trailing plural "s" of the acronym is ignored ("PCBs")."""
    letters = _letters(acronym)
    words = [w for w in re.split(r"[\s\-/]+", phrase) if w]
    if len(words) < 2:
        return False

    def match(li: int, wi: int) -> bool:
        if wi == len(words):
            return li == len(letters) or (li == len(letters) - 1 and letters[li] == "s")
        word = words[wi]
        low = word.lower()
        if low in STOPWORDS and match(li, wi + 1):
            return True
        if li >= len(letters) or low[0] != letters[li]:
            return False
        # the word gives its first letter, then optionally more of its own letters in order
        pos, li2 = 1, li + 1
        if match(li2, wi + 1):
            return True
        while li2 < len(letters):
            found = low.find(letters[li2], pos)
            if found < 0:
                return False
            pos, li2 = found + 1, li2 + 1
            if match(li2, wi + 1):
                return True
        return False

    return bool(letters) and match(0, 0)


def _strip_vendor(words: list[str], vendors: Iterable[str]) -> list[list[str]]:
    """The phrase, and the phrase without a leading vendor name ("Oracle JavaServer Pages")."""
    out = [words]
    lowered = " ".join(words).lower()
    for vendor in vendors:
        if lowered.startswith(vendor + " "):
            out.append(words[len(vendor.split()) :])
    return out


def established(
    acronym: str,
    label: str,
    aliases: Iterable[str],
    vendors: Iterable[str] = (),
    *,
    within: bool = False,
    generic: frozenset[str] = frozenset(),
) -> bool:
    """``acronym`` abbreviates the skill itself: it is the label, or abbreviates the label (minus the acronym
    written after it, a vendor prefix, a parenthesised qualifier or ``generic`` words at either end: "data
    ... tools") or another multi-word alias of the skill.

    ``within``: it may abbreviate a run of two or more words inside a phrase -- for ESCO's own
    alternative labels, which name the object of a skill ("CCTV" for "manage closed-circuit television
    system"), unlike acronyms taken from the end of an O*NET product name."""
    if _letters(acronym) == _letters(label) or _letters(acronym) == _letters(label.split()[0]):
        return True  # the label itself, or named after it ("Prince2 project management")
    for phrase in [label, *aliases]:
        phrase = re.sub(r"\s*\([^)]*\)\s*$", "", phrase).strip()
        words = phrase.split()
        if words and words[-1] == acronym:
            words = words[:-1]
        for candidate in _strip_vendor(words, vendors):
            candidate = [w.strip(",;:") for w in candidate]
            if within:
                runs = [candidate[a:b] for a in range(len(candidate)) for b in range(a + 2, len(candidate) + 1)]
            else:
                lo, hi = 0, len(candidate)
                while lo < hi and candidate[lo].lower() in generic:
                    lo += 1
                while hi > lo and candidate[hi - 1].lower() in generic:
                    hi -= 1
                runs = [candidate, candidate[lo:hi]]
            if any(len(run) >= 2 and abbreviates(acronym, " ".join(run)) for run in runs):
                return True
    return False


def _key(phrase: str) -> str:
    """A meaning's identity: lower-case words without a plural "s" ("Database management systems")."""
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD.findall(phrase.lower()))


def expansion(acronym: str, label: str, aliases: Iterable[str], vendors: Iterable[str] = ()) -> str:
    """The phrase ``acronym`` abbreviates for this skill (its key), or the label's key when none does."""
    for phrase in [label, *aliases]:
        words = re.sub(r"\s*\([^)]*\)\s*$", "", phrase).split()
        if words and words[-1] == acronym:
            words = words[:-1]
        for candidate in _strip_vendor(words, vendors):
            for k in range(2, len(candidate) + 1):  # shortest tail that it abbreviates
                if abbreviates(acronym, " ".join(candidate[-k:])):
                    return _key(" ".join(candidate[-k:]))
    return _key(label)


def ambiguous_acronyms(attested: dict[str, list[tuple[str, str]]], extra: dict[str, Iterable[str]]) -> frozenset[str]:
    """Acronyms (lower case) with more than one meaning.

    ``attested``: acronym → [(skill id, expansion key)] for every skill it stands for in the catalogue;
    ``extra``: acronym → expansion phrases known elsewhere (credentials, :data:`WORLD_SENSES`). Two
    attestations are one meaning when they share the skill or the expansion ("point of sale" in two
    products), so a meaning is a connected group of skills and expansions."""
    out = set()
    for acr in set(attested) | set(extra):
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.setdefault(x, x) != x:
                x = parent[x]
            return x

        def union(a: str, b: str) -> None:
            parent[find(a)] = find(b)

        for sid, key in attested.get(acr, []):
            union("s:" + sid, "k:" + key)
        for phrase in extra.get(acr, []):
            find("k:" + _key(phrase))
        if len({find(x) for x in list(parent)}) > 1:
            out.add(acr)
    return frozenset(out)


def cue_words(label: str, aliases: Iterable[str], frequent: frozenset[str]) -> frozenset[str]:
    """Words that, near an ambiguous acronym, say it means this skill: the content words of its label and
    aliases, less stopwords, acronyms themselves and words too frequent across the catalogue's labels."""
    words = set()
    for phrase in [label, *aliases]:
        for w in _WORD.findall(re.sub(r"\([^)]*\)", " ", phrase).lower()):
            if len(w) >= 3 and w not in STOPWORDS and w not in frequent and not w.isdigit():
                words.add(w)
    return frozenset(words)


def frequent_words(labels: Iterable[str], share: float = 0.004, floor: int = 20) -> frozenset[str]:
    """Words in more than ``share`` of the labels, and more than ``floor`` of them ("software", "management",
    "system"): no evidence of one sense. The floor keeps a small catalogue from calling every word frequent."""
    counts: Counter[str] = Counter()
    n = 0
    for label in labels:
        n += 1
        counts.update(set(_WORD.findall(label.lower())))
    return frozenset(w for w, c in counts.items() if c > max(share * n, floor))


def group_aliases(rows: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """skill id → its aliases, from (skill id, alias) rows."""
    out: dict[str, list[str]] = defaultdict(list)
    for sid, alias in rows:
        out[sid].append(alias)
    return out
