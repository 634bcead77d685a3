"""Entry points behind ``waypoint gap`` and ``waypoint path`` (wired in ``app/cli.py``).

They take what a command line gives (a file path, ids or titles), validate it, and return plain
JSON-ready dicts. Every bad input raises a :class:`SkillsInputError` (a ``ValueError``) with a message
a person can act on; the CLI turns it into exit code 2, the API into a 4xx.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from retrieval.settings import Settings, get_settings
from retrieval.skills.base import SkillsInputError, UnknownIdError
from retrieval.skills.gap import Profile, skill_gap
from retrieval.skills.paths import career_paths

__all__ = ["SkillsInputError", "UnknownIdError", "gap_command", "load_profile", "path_command"]


def load_profile(profile_json_path: str | Path, settings: Settings | None = None) -> Profile:
    """Read and validate a profile JSON file (an object with occupation / skills / text)."""
    settings = settings or get_settings()
    path = Path(profile_json_path)
    if not path.is_file():
        raise SkillsInputError(f"profile file not found: {path}")
    if path.stat().st_size > settings.max_request_bytes:
        raise SkillsInputError(f"profile file too large: {path.stat().st_size} bytes > {settings.max_request_bytes}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SkillsInputError(f"malformed profile JSON in {path}: {exc}") from None
    return parse_profile(data)


def parse_profile(data: object) -> Profile:
    """Validate an already-decoded profile object."""
    if not isinstance(data, dict):
        raise SkillsInputError(f"a profile must be a JSON object, got {type(data).__name__}")
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in exc.errors())
        raise SkillsInputError(f"invalid profile: {problems}") from None
    if profile.is_empty():
        raise SkillsInputError("empty profile: give at least one of occupation, skills, text")
    return profile


def gap_command(
    profile_json_path: str | Path,
    item_id: str,
    *,
    settings: Settings | None = None,
    use_embeddings: bool | None = None,
    use_map: bool | None = None,
) -> dict:
    """``waypoint gap --profile P.json --item ID``: the skill gap as one JSON-ready dict.

    Keys: ``id``, ``item``, ``coverage``, ``matched_skills``, ``partial_skills``, ``missing_skills``,
    ``requirements_total``, ``unresolved_skills``, ``profile_skill_count``.
    """
    if not item_id or not str(item_id).strip():
        raise SkillsInputError("missing --item id")
    profile = load_profile(profile_json_path, settings)
    gap = skill_gap(profile, str(item_id).strip(), settings, use_embeddings=use_embeddings, use_map=use_map)
    return gap.model_dump(mode="json")


def path_command(from_id: str, to_id: str, *, k: int = 3, settings: Settings | None = None) -> dict:
    """``waypoint path --from A --to B``: up to ``k`` transition paths (ids or titles), best first."""
    if not from_id or not str(from_id).strip() or not to_id or not str(to_id).strip():
        raise SkillsInputError("both --from and --to are required")
    if k < 1:
        raise SkillsInputError("k must be at least 1")
    paths = career_paths(str(from_id).strip(), str(to_id).strip(), k=k, settings=settings)
    first = paths[0]
    return {
        "source": first.source.model_dump(),
        "target": first.target.model_dump(),
        "paths": [p.model_dump(mode="json") for p in paths],
    }
