"""Job postings (Google, Glassdoor) and the job-view log (jobs, applicants, views, experience, interests)."""

from __future__ import annotations

import re
import sqlite3

import numpy as np

from retrieval.catalogue.db import insert_rows
from retrieval.catalogue.readers import read_table, to_float
from retrieval.catalogue.source import DataSource
from retrieval.text import clean_text

POSTING_FILES = ["google_job_skills.csv", "glassdoor_ds_jobs_2020.csv"]
POSTING_TABLES = ["job_posting"]
LOG_FILES = ["Job_Views.csv", "Experience.csv", "Positions_Of_Interest.csv"]
LOG_TABLES = ["job", "applicant", "job_view", "experience", "position_of_interest"]
_RATING_SUFFIX = re.compile(r"\s*\n\s*\d(\.\d)?\s*$")


def _na(text: str) -> str:
    return "" if text.strip() in {"NA", "N/A", "-1", "nan"} else clean_text(text)


def load_postings(conn: sqlite3.Connection, source: DataSource) -> None:
    rows = []
    first_of: dict[tuple, str] = {}
    google_path = source.find("google_job_skills.csv")
    google = read_table(
        google_path,
        [
            "Company",
            "Title",
            "Category",
            "Location",
            "Responsibilities",
            "Minimum Qualifications",
            "Preferred Qualifications",
        ],
    )
    for i, r in enumerate(google.itertuples(index=False)):
        pid = f"posting:google:{i}"
        key = tuple(google.iloc[i])
        dup = first_of.setdefault(key, pid)
        qualifications = clean_text(f"Minimum: {r[5]} Preferred: {r[6]}")
        rows.append(
            (
                pid,
                "google",
                clean_text(r.Title),
                clean_text(r.Company),
                clean_text(r.Location),
                clean_text(r.Category),
                clean_text(r.Responsibilities),
                qualifications,
                "",
                None if dup == pid else dup,
            )
        )
    glass_path = source.find("glassdoor_ds_jobs_2020.csv")
    glass = read_table(
        glass_path,
        [
            "Unnamed: 0",
            "Job Title",
            "Salary Estimate",
            "Job Description",
            "Company Name",
            "Location",
            "Industry",
            "Sector",
        ],
    )
    for r in glass.itertuples(index=False):
        pid = f"posting:glassdoor:{r[0]}"
        company = _RATING_SUFFIX.sub("", r[4])
        key = ("glassdoor", r[1], company, r[3])
        dup = first_of.setdefault(key, pid)
        category = _na(r.Sector) or _na(r.Industry)
        rows.append(
            (
                pid,
                "glassdoor",
                clean_text(r[1]),
                clean_text(company),
                clean_text(r.Location),
                category,
                clean_text(r[3]),
                "",
                _na(r[2]),
                None if dup == pid else dup,
            )
        )
    insert_rows(
        conn,
        "job_posting",
        [
            "id",
            "source",
            "title",
            "company",
            "location",
            "category",
            "description",
            "qualifications",
            "salary",
            "duplicate_of",
        ],
        rows,
    )


def load_log(conn: sqlite3.Connection, source: DataSource) -> None:
    views_path = source.find("Job_Views.csv")
    views = read_table(
        views_path,
        [
            "Applicant.ID",
            "Job.ID",
            "Title",
            "Position",
            "Company",
            "City",
            "State.Code",
            "Industry",
            "View.Start",
            "View.End",
            "View.Duration",
        ],
    )
    durations = to_float(views, "View.Duration", views_path)
    jobs = views.drop_duplicates("Job.ID")
    insert_rows(
        conn,
        "job",
        ["id", "title", "position", "company", "city", "state", "industry"],
        (
            (
                f"job:{r[1]}",
                clean_text(r.Title),
                clean_text(r.Position),
                clean_text(r.Company),
                clean_text(r.City),
                r[6].strip(),
                _na(r.Industry),
            )
            for r in jobs.itertuples(index=False)
        ),
    )
    experience_path = source.find("Experience.csv")
    experience = read_table(
        experience_path,
        [
            "Applicant.ID",
            "Position.Name",
            "Employer.Name",
            "City",
            "State.Code",
            "Start.Date",
            "End.Date",
            "Job.Description",
        ],
    )
    interests_path = source.find("Positions_Of_Interest.csv")
    interests = read_table(interests_path, ["Applicant.ID", "Position.Of.Interest"])
    applicants = sorted(set(views["Applicant.ID"]) | set(experience["Applicant.ID"]) | set(interests["Applicant.ID"]))
    insert_rows(conn, "applicant", ["id"], ((a,) for a in applicants))
    insert_rows(
        conn,
        "job_view",
        ["applicant_id", "job_id", "view_start", "view_end", "duration_s"],
        (
            (a, f"job:{j}", s, e, None if np.isnan(d) else float(d))
            for a, j, s, e, d in zip(
                views["Applicant.ID"], views["Job.ID"], views["View.Start"], views["View.End"], durations.tolist()
            )
        ),
    )
    insert_rows(
        conn,
        "experience",
        ["applicant_id", "position", "employer", "city", "state", "start_date", "end_date", "description"],
        (
            (r[0], _na(r[1]), _na(r[2]), _na(r[3]), _na(r[4]), _na(r[5]), _na(r[6]), _na(r[7]))
            for r in experience.itertuples(index=False)
        ),
    )
    insert_rows(
        conn,
        "position_of_interest",
        ["applicant_id", "position"],
        ((a, clean_text(p)) for a, p in interests.itertuples(index=False) if p.strip()),
    )
