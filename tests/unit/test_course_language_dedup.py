"""Course language and near-duplicates (issue 23, item 2): the rules on real titles from the catalogues."""

from __future__ import annotations

import pytest

from retrieval.courses.dedup import collapse, near_duplicates, title_key
from retrieval.courses.language import Vocabulary, course_language, for_learners_of, person_language

# A small English vocabulary of the kind `vocabulary()` builds from O*NET/ESCO texts, and the foreign
# words of edX courses declared in Spanish and Portuguese.
ENGLISH = frozenset(
    "the data analysis of google medical neuroscience diy musician learn javascript for beginners "
    "professional python developer with introduction to project management play now guide complete "
    "harmonica instant financial math fundamental".split()
)
FOREIGN = frozenset("aprende curso datos proyectos gestión análisis aprenda investir dinheiro invertir bolsa".split())
VOCAB = Vocabulary(english=ENGLISH, foreign=FOREIGN)


@pytest.mark.parametrize(
    "title,expected",
    [
        ("The DIY Musician", "en"),  # py3langid alone says Spanish
        ("Medical Neuroscience", "en"),
        ("Learn JavaScript for beginners", "en"),  # lingua alone says Dutch
        ("AngularJS Masterclass", "en"),  # unknown words: no evidence against English
        ("Instant Harmonica - play Leonard Cohen's Hallelujah now!", "en"),
        ("Análisis de Datos de Google", "es"),
        ("Gestión de Proyectos de Google", "es"),
        ("Aprenda a Investir seu Dinheiro", "pt"),
        ("株式投資で本当のファンダメンタル分析ができるようになる", "ja"),
    ],
)
def test_detected_language_of_undeclared_courses(title, expected):
    assert course_language("udemy", "English", title, "", VOCAB) == expected


def test_a_declared_language_wins():
    # edX declares its language; the ingest's "English" default for Coursera/Udemy is not a declaration
    assert course_language("edx", "Español", "Excel: Fundamentos y herramientas", "", VOCAB) == "es"
    assert course_language("edx", "English", "Introduction to Project Management", "", VOCAB) == "en"
    assert course_language("coursera", "English", "Gestión de Proyectos de Google", "", VOCAB) == "es"


def test_person_language():
    assert person_language(None) == "en"
    assert person_language("Python developer, Django, SQL") == "en"  # too short to tell: the default
    assert person_language("x", explicit="Español") == "es"
    assert person_language("x", explicit="pt") == "pt"
    spanish = (
        "Soy enfermera con seis años de experiencia en cuidados intensivos y quiero trabajar en la gestión "
        "de servicios de salud de un hospital grande de la ciudad"
    )
    assert person_language(spanish) == "es"


def test_title_keys_and_near_duplicates():
    assert title_key("Italian Language and Culture: Beginner (2019-2020)") == "italian language and culture beginner"
    assert near_duplicates("Google UX Design (DE)", "Google UX Design")
    assert near_duplicates("Photoshop - Creación de Efectos", "Photoshop - Creación de Efectos 2")
    assert near_duplicates("IBM Data Science Professional Certificate", "IBM Data Science")
    assert not near_duplicates("Introduction to Biology", "Introduction to Chemistry")
    assert not near_duplicates(
        "Bluegrass Guitar Essentials: Webisodes 1 & 2", "Bluegrass Guitar Essentials: Webisodes 3 & 4"
    )


def test_collapse_keeps_the_best_of_each_group():
    ranked = [
        "Google UX Design",
        "Introduction to Biology",
        "Google UX Design (DE)",
        "Google UX Design (PT)",
        "Introduction to Chemistry",
    ]
    assert collapse(ranked, lambda t: t) == ["Google UX Design", "Introduction to Biology", "Introduction to Chemistry"]


@pytest.mark.parametrize(
    "title,learners",
    [
        ("Learn English: Intermediate Grammar", True),
        ("English for Journalists, Part 2", True),
        ("Write Professional Emails in English", True),
        ("TESOL Certificate, Part 1: Teach English Now!", True),
        ("Upper-Intermediate English: Business and Technology", True),
        ("The Pronunciation of American English", True),
        ("English Composition I", False),
        ("English Grammar and Style", False),
        ("Introduction to English Common Law", False),
        ("AP® English Literature & Composition – Part 1: Stories", False),
        ("Writing in the Sciences", False),
    ],
)
def test_courses_for_learners_of_english_are_told_apart(title, learners):
    assert for_learners_of("en", title) is learners
    assert not for_learners_of("es", title)  # only the reader's own language is filtered
