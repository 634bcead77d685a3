"""The fixed (profile, target) pairs and skills of the course evaluation (``waypoint eval courses``).

Kept apart from the evaluation so that the pooling script that produced the judgements
(:mod:`eval.course_pool`) and the evaluation read the same list.

Twelve common career moves given as the person's O*NET occupation (the issue's examples first), and
eight free-text profiles, each with a target occupation. ``EXTRA_SKILLS`` adds gap skills the issue
names (technologies, O*NET knowledge areas) that the twenty pairs may not list first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pair:
    name: str
    target: str
    occupation: str | None = None
    text: str | None = None


FIXED_PAIRS: tuple[Pair, ...] = (
    Pair("nurse → nurse practitioner", "29-1171.00", occupation="29-1141.00"),
    Pair("firefighter → financial analyst", "13-2051.00", occupation="33-2011.00"),
    Pair("secondary school teacher → software developer", "15-1252.00", occupation="25-2031.00"),
    Pair("paralegal → lawyer", "23-1011.00", occupation="23-2011.00"),
    Pair("software developer → data scientist", "15-2051.00", occupation="15-1252.00"),
    Pair("accountant → financial manager", "11-3031.00", occupation="13-2011.00"),
    Pair("retail salesperson → HR specialist", "13-1071.00", occupation="41-2031.00"),
    Pair("medical assistant → registered nurse", "29-1141.00", occupation="31-9092.00"),
    Pair("electrician → electrical engineer", "17-2071.00", occupation="47-2111.00"),
    Pair("customer service rep → marketing specialist", "13-1161.00", occupation="43-4051.00"),
    Pair("truck driver → logistician", "13-1081.00", occupation="53-3032.00"),
    Pair("graphic designer → web developer", "15-1254.00", occupation="27-1024.00"),
    Pair(
        "Python developer (text) → data scientist",
        "15-2051.00",
        text="Python developer with 3 years of experience building web back ends with Django, SQL and AWS.",
    ),
    Pair(
        "ICU nurse (text) → health services manager",
        "11-9111.00",
        text="Registered nurse, 6 years in intensive care; I coordinate shifts and train new nurses.",
    ),
    Pair(
        "maths teacher (text) → statistician",
        "15-2041.00",
        text="High school mathematics teacher who enjoys statistics and uses Excel to track student results.",
    ),
    Pair(
        "barista (text) → food service manager",
        "11-9051.00",
        text="Barista and shift supervisor at a busy coffee shop: cash handling, customer service, ordering stock.",
    ),
    Pair(
        "admin assistant (text) → project management specialist",
        "13-1082.00",
        text="Administrative assistant: scheduling, Microsoft Excel and Outlook, organising meetings and travel.",
    ),
    Pair(
        "warehouse worker (text) → maintenance and repair worker",
        "49-9071.00",
        text="Warehouse worker, forklift certified, loading trucks and keeping inventory records.",
    ),
    Pair(
        "journalist (text) → public relations specialist",
        "27-3031.00",
        text="Newspaper journalist, eight years writing and editing features and interviewing sources.",
    ),
    Pair(
        "sales rep (text) → sales manager",
        "11-2022.00",
        text="Sales representative for industrial supplies, meeting clients and negotiating contracts.",
    ),
)

#: Skills the issue names as gaps (technologies, knowledge areas) besides those of the twenty pairs.
EXTRA_SKILLS: tuple[str, ...] = (
    "tech:python",
    "esco:skill:598de5b0-5b58-4ea7-8058-a4bc4d18c742",
    "tech:amazon-web-services-aws-software",
    "tech:microsoft-excel",
    "tech:tableau",
    "onet:2.C.4.b",
    "onet:2.C.4.d",
    "onet:2.C.4.c",
    "onet:2.C.1.c",
    "onet:2.A.1.c",
    "onet:2.B.1.d",
    "onet:2.B.3.e",
    "onet:2.C.8.b",
    "onet:2.C.5.a",
    "onet:2.C.4.e",
    "onet:2.B.5.a",
    "onet:2.A.2.a",
    "onet:2.B.4.e",
)
