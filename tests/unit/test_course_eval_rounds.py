"""`waypoint eval courses`: the pairs' gaps split by judgement round (round 2 held out) and the failure causes."""

from __future__ import annotations


def _gap(skill_id: str, status: str, cause: str, relevant_exists: bool = True) -> dict:
    return {
        "skill_id": skill_id,
        "status": status,
        "relevant_exists": relevant_exists,
        "diagnosis": {"cause": cause},
        "courses": [] if status == "none" else [{"id": "c", "language": "en"}],
    }


def test_rounds_are_reported_apart():
    from eval.courses import diagnosis_summary, rounds_summary

    rows = [
        {
            "pair": "a",
            "language": "en",
            "gaps": [
                _gap("s1", "relevant", "shown first"),
                _gap("s2", "none", "no relevant course judged", False),
                _gap("s3", "not relevant", "ranked below another"),
            ],
        },
        {
            "pair": "b",
            "language": "en",
            "gaps": [_gap("s3", "relevant", "shown first"), _gap("s9", "none", "below threshold")],
        },
    ]
    round1 = {"s1": {}, "s2": {}}
    judged = {"s1": {}, "s2": {}, "s3": {}}
    out = rounds_summary(rows, round1, judged)
    r1, r2 = out["round 1 skills"], out["later rounds skills (held out)"]
    assert r1["gaps"] == 2 and r1["relevant"] == 0.5 and r1["honest_none"] == 0.5
    # s9 is judged in neither round: it is in no split
    assert r2["gaps"] == 2 and r2["relevant"] == 0.5 and r2["not_relevant"] == 0.5
    assert diagnosis_summary(rows) == {
        "below threshold": 1,
        "no relevant course judged": 1,
        "ranked below another": 1,
        "shown first": 2,
    }
