"""Catalogue schema (SQLite; the same SQL runs on PostgreSQL).

Ids are strings that say where they come from: O*NET-SOC codes (``15-1252.00``) for O*NET
occupations, ``esco:occupation:<uuid>`` for ESCO occupations, ``onet:<element>`` / ``tech:<slug>`` /
``esco:skill:<uuid>`` for skills, ``course:<provider>:<n>``, ``posting:<source>:<n>``, ``job:<Job.ID>``.
"""

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS occupation (
    id TEXT PRIMARY KEY,
    taxonomy TEXT NOT NULL,            -- onet | esco
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    job_zone INTEGER,
    isco_code TEXT,
    code TEXT
);
CREATE TABLE IF NOT EXISTS occupation_title (
    occupation_id TEXT NOT NULL REFERENCES occupation(id),
    title TEXT NOT NULL,
    title_norm TEXT NOT NULL,
    kind TEXT NOT NULL                 -- primary | alternate | short | reported | esco_alt
);
CREATE INDEX IF NOT EXISTS ix_occupation_title_norm ON occupation_title(title_norm);
CREATE INDEX IF NOT EXISTS ix_occupation_title_occ ON occupation_title(occupation_id);

CREATE TABLE IF NOT EXISTS task (
    occupation_id TEXT NOT NULL REFERENCES occupation(id),
    task_id TEXT NOT NULL,
    text TEXT NOT NULL,
    task_type TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (occupation_id, task_id)
);
CREATE TABLE IF NOT EXISTS occupation_interest (
    occupation_id TEXT NOT NULL REFERENCES occupation(id),
    element TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (occupation_id, element)
);
CREATE TABLE IF NOT EXISTS related_occupation (
    occupation_id TEXT NOT NULL REFERENCES occupation(id),
    related_id TEXT NOT NULL REFERENCES occupation(id),
    tier TEXT NOT NULL,
    rank INTEGER NOT NULL,
    PRIMARY KEY (occupation_id, related_id)
);
CREATE TABLE IF NOT EXISTS isco_group (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS skill (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,                -- onet_skill | onet_knowledge | technology | esco_skill | esco_knowledge | esco_group
    source TEXT NOT NULL,              -- onet | esco
    description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '', -- O*NET commodity title, ESCO skill type
    hot INTEGER NOT NULL DEFAULT 0,
    canonical_id TEXT NOT NULL         -- id every later stage uses for this skill
);
CREATE INDEX IF NOT EXISTS ix_skill_canonical ON skill(canonical_id);
CREATE TABLE IF NOT EXISTS skill_alias (
    alias_norm TEXT NOT NULL,
    alias TEXT NOT NULL,
    skill_id TEXT NOT NULL REFERENCES skill(id),   -- always a canonical id
    source TEXT NOT NULL,              -- label | esco_alt | acronym | vendor | curated | merged
    PRIMARY KEY (alias_norm, skill_id)
);
CREATE TABLE IF NOT EXISTS skill_relation (
    skill_id TEXT NOT NULL,
    related_id TEXT NOT NULL,
    relation TEXT NOT NULL,            -- broader | essential | optional
    PRIMARY KEY (skill_id, related_id, relation)
);
CREATE TABLE IF NOT EXISTS occupation_skill (
    occupation_id TEXT NOT NULL REFERENCES occupation(id),
    skill_id TEXT NOT NULL REFERENCES skill(id),
    relation TEXT NOT NULL,            -- rated | technology | essential | optional
    importance REAL,                   -- O*NET IM scaled to 0..1; essential=1, optional=0.5
    level REAL,                        -- O*NET LV scaled to 0..1
    hot INTEGER NOT NULL DEFAULT 0,
    in_demand INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (occupation_id, skill_id, relation)
);
CREATE INDEX IF NOT EXISTS ix_occupation_skill_skill ON occupation_skill(skill_id);

CREATE TABLE IF NOT EXISTS course (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT '',
    skills TEXT NOT NULL DEFAULT '',   -- the catalogue's own skill tags, '; '-separated
    subject TEXT NOT NULL DEFAULT '',
    rating REAL,
    duration TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    partner TEXT NOT NULL DEFAULT ''   -- university or company offering it
);
CREATE TABLE IF NOT EXISTS course_skill (
    course_id TEXT NOT NULL REFERENCES course(id),
    skill_id TEXT NOT NULL REFERENCES skill(id),
    source TEXT NOT NULL,              -- catalogue | extracted
    confidence REAL NOT NULL DEFAULT 1.0,
    PRIMARY KEY (course_id, skill_id)
);
CREATE INDEX IF NOT EXISTS ix_course_skill_skill ON course_skill(skill_id);

CREATE TABLE IF NOT EXISTS job_posting (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,              -- google | glassdoor
    title TEXT NOT NULL,
    company TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    qualifications TEXT NOT NULL DEFAULT '',
    salary TEXT NOT NULL DEFAULT '',
    duplicate_of TEXT
);

CREATE TABLE IF NOT EXISTS job (
    id TEXT PRIMARY KEY,               -- job:<Job.ID> from the job-view log
    title TEXT NOT NULL,
    position TEXT NOT NULL DEFAULT '',
    company TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    industry TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS applicant (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS job_view (
    applicant_id TEXT NOT NULL REFERENCES applicant(id),
    job_id TEXT NOT NULL REFERENCES job(id),
    view_start TEXT NOT NULL,
    view_end TEXT NOT NULL DEFAULT '',
    duration_s REAL
);
CREATE INDEX IF NOT EXISTS ix_job_view_applicant ON job_view(applicant_id, view_start);
CREATE INDEX IF NOT EXISTS ix_job_view_job ON job_view(job_id);
CREATE TABLE IF NOT EXISTS experience (
    applicant_id TEXT NOT NULL REFERENCES applicant(id),
    position TEXT NOT NULL,
    employer TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    start_date TEXT NOT NULL DEFAULT '',
    end_date TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ix_experience_applicant ON experience(applicant_id);
CREATE TABLE IF NOT EXISTS position_of_interest (
    applicant_id TEXT NOT NULL REFERENCES applicant(id),
    position TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_poi_applicant ON position_of_interest(applicant_id);

CREATE TABLE IF NOT EXISTS resume (
    id TEXT PRIMARY KEY,               -- resume:<sha1 prefix of the text>, duplicates removed
    category TEXT NOT NULL,
    text TEXT NOT NULL
);
"""

# Tables reported by `waypoint stats`, in display order.
TABLES = [
    "occupation",
    "occupation_title",
    "task",
    "occupation_interest",
    "related_occupation",
    "isco_group",
    "skill",
    "skill_alias",
    "skill_relation",
    "occupation_skill",
    "course",
    "course_skill",
    "job_posting",
    "job",
    "applicant",
    "job_view",
    "experience",
    "position_of_interest",
    "resume",
]
