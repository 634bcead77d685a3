"""Synthetic people for the privacy tests: résumé-like texts with known PII, generated deterministically.

Faker (a test-only dependency) makes the names, addresses, postcodes, phones, emails, handles and
dates of birth, in six English-speaking locales (US, UK, Canada, Australia, India, Ireland); the
career part of every text is a real O*NET occupation from the session catalogue (title, code,
description, tasks), so the same texts also show whether career content survives redaction. The
redactor's first-name gazetteer comes from another source (the ``names`` package's census lists),
so the tests do not measure a look-up of the generator's own lists.

Five templates put the PII in different places: a résumé header block, a chat message ("My name
is ..."), a labelled form ("Name:", "D.O.B.:", "Address:"), a cover letter with a sign-off, and an
Indian-style résumé with an upper-case name and a PIN code. Each :class:`SyntheticProfile` lists its
PII items by kind; :func:`remaining_pii` says which of them survive in some stored text.
"""

from __future__ import annotations

import random
import re
import sqlite3
from dataclasses import dataclass, field

LOCALES = ("en_US", "en_GB", "en_CA", "en_AU", "en_IN", "en_IE")
KINDS = ("name", "address", "postcode", "dob", "handle", "email", "phone")


@dataclass
class SyntheticProfile:
    n: int
    locale: str
    template: str
    text: str
    profile_id: str
    user_id: str
    pii: dict[str, list[str]] = field(default_factory=dict)
    career: list[str] = field(default_factory=list)  # strings that must survive redaction
    career_text: str = ""  # the text without any PII in it


@dataclass(frozen=True)
class Occupation:
    code: str
    title: str
    description: str
    tasks: tuple[str, ...]


def occupations(conn: sqlite3.Connection, n: int) -> list[Occupation]:
    """``n`` O*NET occupations with a description and at least two tasks, spread over the catalogue."""
    rows = conn.execute(
        "SELECT id, title, description FROM occupation WHERE taxonomy = 'onet' AND description != '' ORDER BY id"
    ).fetchall()
    out: list[Occupation] = []
    step = max(1, len(rows) // (n * 2))
    for code, title, description in rows[::step]:
        tasks = tuple(
            r[0]
            for r in conn.execute("SELECT text FROM task WHERE occupation_id = ? ORDER BY task_id LIMIT 3", (code,))
        )
        if len(tasks) >= 2:
            out.append(Occupation(code, title, description, tasks))
        if len(out) == n:
            break
    return out


def _dob_text(rng: random.Random, dob) -> tuple[str, str]:
    """(label + date as written, the date string that must disappear)."""
    forms = [
        ("DOB: {d}", dob.strftime("%m/%d/%Y")),
        ("Date of Birth: {d}", dob.isoformat()),
        ("D.O.B. {d}", dob.strftime("%d-%m-%Y")),
        ("Birthday: {d}", f"{dob.day} {dob.strftime('%B')} {dob.year}"),
        ("born on {d}", f"{dob.strftime('%B')} {dob.day}, {dob.year}"),
    ]
    label, date = forms[rng.randrange(len(forms))]
    return label.format(d=date), date


def _locality(fake, locale: str) -> tuple[str, str]:
    """(the locality line of an address, its postcode)."""
    city = fake.city()
    if locale == "en_US":
        postcode = fake.zipcode_plus4() if fake.random_int(0, 3) == 0 else fake.zipcode()
        return f"{city}, {fake.state_abbr()} {postcode}", postcode
    if locale == "en_CA":
        postcode = fake.postalcode()
        return f"{city}, {fake.province_abbr()} {postcode}", postcode
    if locale == "en_AU":
        postcode = fake.postcode()
        return f"{city}, {fake.state_abbr()}, {postcode}", postcode
    if locale == "en_IN":
        postcode = fake.postcode()
        return f"{city} - {postcode}", postcode
    postcode = fake.postcode()  # en_GB, en_IE
    return f"{city}\n{postcode}", postcode


def _street(fake, locale: str) -> str:
    street = fake.street_address()
    if locale == "en_GB" and "\n" in street:  # "Flat 3\nSmith Road": keep the street line only
        street = street.split("\n")[-1]
        street = f"{fake.building_number()} {street}"
    return street


def _street_items(street: str) -> list[str]:
    """What identifies a street line: the whole line, and the street name without the house number."""
    name = re.sub(r"^[\d/,\s-]+", "", street)
    name = re.split(r"\s+(?:Apt\.|Suite|Unit|Flat|Studio)\s", name)[0].strip()
    return [street] + ([name] if len(name.split()) >= 2 else [])


def make_profiles(conn: sqlite3.Connection, n: int = 50, seed: int = 27) -> list[SyntheticProfile]:
    """``n`` synthetic people, the same for the same catalogue and seed."""
    from faker import Faker

    rng = random.Random(seed)
    occs = occupations(conn, n)
    applicants = [
        str(r[0]) for r in conn.execute("SELECT DISTINCT applicant_id FROM experience ORDER BY applicant_id LIMIT 200")
    ]
    out = []
    for i in range(n):
        template = ("header", "chat", "form", "letter", "caps")[i % 5]
        locale = "en_IN" if template == "caps" else LOCALES[(i // 5) % len(LOCALES)]
        fake = Faker(locale)
        fake.seed_instance(seed * 1000 + i)
        occ = occs[i % len(occs)]
        first, last = fake.first_name(), fake.last_name()
        ref_first, ref_last = fake.first_name(), fake.last_name()
        email = f"{first}.{last}{fake.random_int(1, 99)}@{fake.free_email_domain()}".lower().replace(" ", "")
        phone = fake.phone_number()
        user = fake.user_name()
        handle = fake.user_name() + str(fake.random_int(1, 999))
        street = _street(fake, locale)
        locality, postcode = _locality(fake, locale)
        dob = fake.date_of_birth(minimum_age=21, maximum_age=64)
        dob_phrase, dob_date = _dob_text(rng, dob)
        years = rng.randint(2, 25)
        since = 2024 - years
        tasks = " ".join(t.rstrip(".") + "." for t in occ.tasks[:2])
        career = f"{occ.title} ({occ.code}) with {years} years of experience since {since}. {occ.description} {tasks}"
        handles = [handle, user]
        if template == "header":
            text = (
                f"{first} {last}\n{street}\n{locality}\n{phone} · {email} · linkedin.com/in/{user}\n{dob_phrase}\n\n"
                f"PROFESSIONAL SUMMARY\n{career}\n\nEXPERIENCE\n{occ.title}, {since}–2024\n- {occ.tasks[0]}\n"
                f"- {occ.tasks[1]}\n\nREFERENCES\nReferee: {ref_first} {ref_last}, {fake.job()}\n"
                f"Twitter: @{handle}"
            )
        elif template == "chat":
            text = (
                f"Hi! My name is {first} {last} and I was {dob_phrase if dob_phrase.startswith('born') else 'born on ' + dob_date}. "
                f"I live at {street}, {locality.replace(chr(10), ' ')}. I have worked as {career} "
                f"You can email me at {email}, call me on {phone}, or find me at github.com/{user} "
                f"and on Twitter as @{handle}. My manager Dr. {ref_last} can confirm this."
            )
        elif template == "form":
            text = (
                f"Name: {first} {last}\n{dob_phrase}\nAddress: {street}, {locality.replace(chr(10), ', ')}\n"
                f"Mobile: {phone}\nE-mail: {email}\nTwitter: https://twitter.com/{handle}\n"
                f"GitHub: github.com/{user}\n\nCareer objective\n{career}\n\nReferences: {ref_first} {ref_last}"
            )
        elif template == "letter":
            text = (
                f"Dear Hiring Manager,\n\nI am writing to apply for a position as {career}\n\n"
                f"I'm {first} {last}, {dob_phrase}, and you can reach me at {phone} or {email}; my portfolio "
                f"is at x.com/{handle} and my code at github.com/{user}.\n\nSincerely,\n{first} {last}\n"
                f"{street}\n{locality}"
            )
        else:
            text = (
                f"{first.upper()} {last.upper()}\n{street}, {locality}\nEmail: {email} | Phone: {phone}\n"
                f"{dob_phrase}\n\nObjective: {career}\nReporting to Mr. {ref_last} as {occ.title}.\n"
                f"Profile: linkedin.com/in/{user} and @{handle}\n\nDeclaration: I hereby declare that the "
                f"above information is true.\n({first} {last})"
            )
        pii = {
            "name": [first, last]
            + ([ref_last] if template in ("chat", "caps") else [])
            + ([ref_first, ref_last] if template in ("header", "form") else []),
            "address": _street_items(street),
            "postcode": [postcode],
            "dob": [dob_date],
            "handle": handles,
            "email": [email],
            "phone": [phone],
        }
        kind = i % 3
        user_id = applicants[i % len(applicants)] if kind == 0 else (email if kind == 1 else f"user{i + 1}")
        out.append(
            SyntheticProfile(
                n=i,
                locale=locale,
                template=template,
                text=text,
                profile_id=email,
                user_id=user_id,
                pii=pii,
                career=[occ.title, occ.code, str(since), f"{years} years of experience"],
                career_text=career,
            )
        )
    return out


def _present(item: str, kind: str, text: str) -> bool:
    if kind == "name":  # a whole word, as written or in capitals
        return any(re.search(r"(?<![\w])" + re.escape(v) + r"(?![\w])", text) for v in (item, item.upper()))
    if kind == "handle":
        return re.search(r"(?<![\w.])" + re.escape(item.lower()) + r"(?![\w])", text.lower()) is not None
    # standing alone: a 4-digit postcode inside a 64-hex user hash or a timing is not that postcode
    return re.search(r"(?<![\w])" + re.escape(item) + r"(?![\w])", text) is not None


def remaining_pii(profile: SyntheticProfile, stored: str) -> list[tuple[str, str]]:
    """The profile's PII items that still appear in ``stored`` (name parts that also occur in the
    career text, e.g. a surname that is an occupation word, are not counted)."""
    left = []
    for kind, items in profile.pii.items():
        for item in items:
            if kind == "name" and _present(item, kind, profile.career_text):
                continue
            if item and _present(item, kind, stored):
                left.append((kind, item))
    return left
