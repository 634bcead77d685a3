"""Markdown and plots of ``waypoint eval profiles``: the numbers a person checks against the issue-22
targets, and the worst rows of each part so they can read what went wrong."""

from __future__ import annotations

from pathlib import Path

from eval.profiles import TARGETS, WORST
from retrieval.reports import markdown_table, save_figure


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _clip(text: str, n: int = 90) -> str:
    text = text.replace("|", "/").replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def _table_or(rows: list[dict], columns: list[str], empty: str) -> str:
    return markdown_table(rows, columns) if rows else empty


def render_personas(p: dict) -> str:
    rec = p.get("recognition")
    out = [
        "## Personas: similar occupations from a self-description",
        f"{p['rows']} personas, {p['labelled']} with O*NET Related Occupations (NDCG is measured on those). "
        f"Free text = `recommend([Profile(text=…)], occupation, 10)`; code = `Profile(occupation=<the persona's code>)` "
        "on the same rows.",
        markdown_table(
            [
                {"query": "free text", "ndcg@10": _fmt(p["ndcg@10_text"])},
                {"query": "O*NET code", "ndcg@10": _fmt(p["ndcg@10_code"])},
                {"query": f"ratio (target ≥ {p['target_ratio']})", "ndcg@10": _fmt(p["ratio"])},
            ],
            ["query", "ndcg@10"],
        ),
        f"Meets the target: **{_fmt(p['meets_target'])}**. Rows with a system error: {p['errors']}.",
    ]
    if rec:
        out += [
            "### Own-occupation recognition (`understand(text).occupations`)",
            markdown_table(
                [
                    {"match": "exact O*NET code", "top 1": _fmt(rec["top1_exact"]), "top 3": _fmt(rec["top3_exact"])},
                    {"match": "same 6-digit SOC", "top 1": _fmt(rec["top1_soc6"]), "top 3": _fmt(rec["top3_soc6"])},
                ],
                ["match", "top 1", "top 3"],
            ),
            f"Statuses: {rec['statuses']}.",
        ]
    else:
        out.append("Own-occupation recognition: not available (`retrieval.understanding.understand` is not built yet).")
    out += [
        f"### Worst {WORST} by NDCG@10 lost against the code query",
        _table_or(
            [
                {
                    "id": r["id"],
                    "persona": _clip(r["text"], 70),
                    "job": r["title"],
                    "text": _fmt(r["ndcg_text"], 2),
                    "code": _fmt(r["ndcg_code"], 2),
                    "detected": _clip("; ".join(r.get("detected", [])) or "-", 60),
                    "text top 3": _clip("; ".join(r["text_top3"]), 70),
                }
                for r in p["worst_ndcg"]
            ],
            ["id", "persona", "job", "text", "code", "detected", "text top 3"],
            "None: the free text never scored below the code query.",
        ),
    ]
    if p["worst_recognition"]:
        out += [
            f"### Not recognised at top 1 (first {WORST})",
            markdown_table(
                [
                    {
                        "id": r["id"],
                        "persona": _clip(r["text"], 70),
                        "job": r["title"],
                        "own rank": _fmt(r["own_rank"]),
                        "detected top 3": _clip("; ".join(r["detected"]) or "-", 80),
                        "status": r["status"],
                    }
                    for r in p["worst_recognition"]
                ],
                ["id", "persona", "job", "own rank", "detected top 3", "status"],
            ),
        ]
    return "\n\n".join(out)


def render_activities(a: dict) -> str:
    if not a.get("served"):
        return "## Activities: work described by what people do\n\nNot available: " + str(a.get("reason", "no rows"))
    rows = [{"linker": "served", **a["served"]}]
    if a.get("without_task_centroids"):
        rows.append({"linker": "without task centroids", **a["without_task_centroids"]})
    out = [
        "## Activities: work described by what people do",
        f'{a["work_rows"]} sentences of work ("I cut hair", "I wire houses") with the occupations an adviser '
        f'would accept, and {a["other_rows"]} first-person sentences that name no work ("I live in Ohio"); '
        "`eval/data/activities.jsonl`. Top 1 / top 3 of `understand(text).occupations`; *nothing linked* on "
        "the sentences of work, *linked without work* on the others. The second row is the same linker without "
        "the task statements' centroids (served only where the home embeds single tasks, "
        "`WAYPOINT_OCCUPATION_TASK_ALIGNMENT`). *Plausible listed*: the share of the occupation list a person "
        "gets for the sentence alone (`recommend(text)`, top 10) that is an accepted occupation, one O*NET lists "
        'as related to one, or of its SOC major group ("I cut hair": barbers, manicurists -- not hand sewers; a proxy, '
        "strict across groups: a childcare worker's preschool teachers count against it).",
        markdown_table(rows, ["linker", "top1", "top3", "nothing_linked", "linked_without_work", "plausible_listed"]),
    ]
    if a["wrong"]:
        out += [
            "### Not linked right (served)",
            markdown_table(
                [
                    {
                        "id": w["id"],
                        "text": w["text"],
                        "accepted": "; ".join(w["accepted"]),
                        "linked": "; ".join(w["linked"]) or "(nothing)",
                    }
                    for w in a["wrong"]
                ],
                ["id", "text", "accepted", "linked"],
            ),
        ]
    if a.get("implausible"):
        out += [
            f"### Lists with suggestions that are not plausible ({len(a['implausible'])} of {a['listed_rows']})",
            markdown_table(
                [{**w, "not_plausible": "; ".join(w["not_plausible"])} for w in a["implausible"]],
                ["id", "text", "plausible", "not_plausible"],
            ),
        ]
    return "\n\n".join(out)


def _leading(lead: dict | None) -> str:
    if not lead:
        return ""
    examples = "".join(f"\n* {_clip(e, 160)}" for e in lead["examples"])
    return (
        f"A role leading others (management, first-line supervision, project management) in the top 3 of a person "
        f"who leads no one, toward a field that is not management: {_fmt(lead['share_with_one'])} of "
        f"{lead['rows']} statements.{examples}"
    )


def render_goals(g: dict) -> str:
    def row(name: str, v: dict | None) -> dict:
        v = v or {}
        return {
            "query": name,
            "rows": _fmt(v.get("rows")),
            "top-5 inside": _fmt(v.get("top5_inside")),
            "top-5 inside (attainable)": _fmt(v.get("top5_attainable")),
            "top-5 inside, families of ≥ 5": _fmt(v.get("top5_inside_family_of_5")),
            "top-1 inside": _fmt(v.get("top1_inside")),
            "own occupation left out": _fmt(v.get("current_excluded")),
            "meets targets": _fmt(v.get("meets_target")),
        }

    cols = [
        "query",
        "rows",
        "top-5 inside",
        "top-5 inside (attainable)",
        "top-5 inside, families of ≥ 5",
        "top-1 inside",
        "own occupation left out",
        "meets targets",
    ]
    return "\n\n".join(
        [
            "## Goals: does a stated goal steer the list?",
            f"{g['rows']} goal statements over {g['families']} target families. Targets: ≥ {g['targets']['top5_inside']} of the "
            f"top 5 inside the family, top 1 inside in every row ({g['targets']['top1_inside']}). *Attainable* divides by "
            "min(5, occupations the family holds besides the person's own), for small families such as *pilot*.",
            markdown_table(
                [
                    row("goal in the text: `Profile(text=…)`", g["text"]),
                    row("`Profile(occupation=<code>, goal=<family>)`", g["occupation_and_goal"]),
                ],
                cols,
            ),
            f"Families with no catalogue occupation: {g['families_without_occupations'] or 'none'}. Rows with a system error: {g['errors']}.",
            _leading(g.get("leading_top3")),
            f"### Worst {WORST} (goal in the text: top 5 under the target or top 1 outside)",
            _table_or(
                [
                    {
                        "id": r["id"],
                        "statement": _clip(r["text"], 70),
                        "family": r["goal_family"],
                        "top-5 in": _fmt(r["top5_inside"], 1),
                        "top-1 in": _fmt(r["top1_inside"]),
                        "detected goal": _clip("; ".join(r["detected_goals"] or []) or "-", 40),
                        "top 5": _clip("; ".join(r["text_top5"]), 90),
                    }
                    for r in g["worst"]
                ],
                ["id", "statement", "family", "top-5 in", "top-1 in", "detected goal", "top 5"],
                "None.",
            ),
        ]
    )


def render_resumes(r: dict) -> str:
    if not r.get("résumés"):
        return "## Résumés\n\nNot run: " + r.get("reason", "no résumés")
    cols = ["category", "résumés", "csv_rows", "top1", "top3", "none_detected", "most_common_top1"]
    return "\n\n".join(
        [
            "## Résumés: detected occupation against the category's O*NET families",
            f"{r['résumés']} distinct résumés evaluated, of the {r['sampled_from']} distinct texts in the catalogue; the CSV "
            f"repeats texts, and these stand for {r['csv_rows']} of its rows (the *per CSV row* column weighs each résumé by "
            f"them). Families: `eval/data/resume_families.csv`. Target top-1 ≥ {r['target_top1']}.",
            markdown_table(
                [
                    {
                        "measure": "top-1 family accuracy",
                        "distinct résumés": _fmt(r["top1"]),
                        "per CSV row": _fmt(r["top1_csv_rows"]),
                    },
                    {
                        "measure": "top-3 family accuracy",
                        "distinct résumés": _fmt(r["top3"]),
                        "per CSV row": _fmt(r["top3_csv_rows"]),
                    },
                ],
                ["measure", "distinct résumés", "per CSV row"],
            ),
            f"Meets the target: **{_fmt(r['meets_target'])}**. No occupation detected: {r['none_detected']}. "
            f"Statuses: {r['statuses']}. Unmapped categories: {r['unmapped_categories'] or 'none'}. Errors: {r['errors']}.",
            "![résumé accuracy per category](profiles_resumes.png)",
            markdown_table(r["per_category"], cols),
            f"### Misses at top 1 (first {WORST})",
            _table_or(
                [
                    {
                        "id": w["id"],
                        "category": w["category"],
                        "status": w["status"],
                        "detected top 3": _clip("; ".join(w["detected_titles"]) or "-", 100),
                    }
                    for w in r["worst"]
                ],
                ["id", "category", "status", "detected top 3"],
                "None.",
            ),
        ]
    )


def render_skills(s: dict) -> str:
    if not s.get("available"):
        return f"## Skill-extraction precision\n\nNot available: {s.get('reason')}."
    shown = {k: v for k, v in s.items() if not isinstance(v, (list, dict))}
    return "## Skill-extraction precision (`eval.skill_precision`)\n\n" + markdown_table(
        [{"measure": k, "value": _fmt(v)} for k, v in shown.items()], ["measure", "value"]
    )


def render(result: dict) -> str:
    timing_rows = [{"call": name, **t} for name, t in result["timing"].items() if t]
    parts = [
        "# What people actually type: personas, activities, goals, résumés",
        f"Issue 22, item 4. Rows per part limited to {result['limit']}."
        if result["limit"]
        else "Issue 22, item 4. All rows.",
        "Understanding available: " + _fmt(result["understanding_available"]) + ".",
        "![summary](profiles.png)",
    ]
    for name, render_part in (
        ("personas", render_personas),
        ("activities", render_activities),
        ("goals", render_goals),
        ("resumes", render_resumes),
        ("skills", render_skills),
    ):
        if name in result:
            parts.append(render_part(result[name]))
    parts += [
        "## Timing (seconds per call)",
        "`first_s` is the first call (models and indexes load there); the other columns are the calls after it.",
        markdown_table(
            timing_rows, ["call", "first_s", "calls", "mean_s", "p50_s", "p95_s", "max_s"], floatfmt="{:.4f}"
        ),
        f"Whole run: {result.get('seconds', 'n/a')} s.",
    ]
    return "\n\n".join(parts)


def summary_bars(result: dict) -> list[tuple[str, float, float | None]]:
    """``(label, measured, target)`` for the summary plot; measures that were not run are left out."""
    bars: list[tuple[str, float, float | None]] = []
    p, g, r, s = (result.get(x) or {} for x in ("personas", "goals", "resumes", "skills"))
    if p.get("ndcg@10_text") is not None:
        bars += [
            ("persona NDCG@10, text", p["ndcg@10_text"], None),
            ("persona NDCG@10, code", p["ndcg@10_code"], None),
            ("text / code NDCG ratio", p["ratio"], TARGETS["ndcg_ratio"]),
        ]
    if p.get("recognition"):
        bars += [
            ("own job top 1 (exact)", p["recognition"]["top1_exact"], None),
            ("own job top 3 (exact)", p["recognition"]["top3_exact"], None),
        ]
    served = (result.get("activities") or {}).get("served")
    if served:
        bars += [
            ("activity sentence: own job top 1", served["top1"] or 0.0, None),
            ("activity sentence: own job top 3", served["top3"] or 0.0, None),
        ]
    for key, name in (("text", "goal in text"), ("occupation_and_goal", "code + goal")):
        v = g.get(key)
        if v:
            bars += [
                (f"{name}: top 5 inside (attainable)", v["top5_attainable"] or 0.0, TARGETS["goal_top5_inside"]),
                (f"{name}: top 5 inside, families ≥ 5", v.get("top5_inside_family_of_5") or 0.0, None),
                (f"{name}: top 1 inside", v["top1_inside"] or 0.0, TARGETS["goal_top1_inside"]),
            ]
    if r.get("top1") is not None:
        bars += [("résumé family top 1", r["top1"], TARGETS["resume_top1"]), ("résumé family top 3", r["top3"], None)]
    if s.get("available") and s.get("precision") is not None:
        bars.append(("skill precision", s["precision"], TARGETS["skill_precision"]))
    return bars


def plot(result: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    bars = summary_bars(result)
    if bars:
        fig, ax = plt.subplots(figsize=(7, 0.4 * len(bars) + 2.0), dpi=120)
        ys = range(len(bars))
        ax.barh(list(ys), [b[1] for b in bars], color="tab:blue", label="measured")
        targets = [(y, b[2]) for y, b in zip(ys, bars) if b[2] is not None]
        if targets:
            ax.scatter(
                [t for _, t in targets],
                [y for y, _ in targets],
                marker="|",
                s=300,
                color="tab:red",
                zorder=3,
                label="target",
            )
        ax.set_yticks(list(ys), [b[0] for b in bars], fontsize=8)
        ax.set_ylim(len(bars) + 1.2, -0.6)  # top to bottom, with room under the bars for the legend
        ax.set_xlim(0, 1.05)
        save_figure(
            fig, ax, out / "profiles.png", title="What people actually type (issue 22)", xlabel="score", ylabel=""
        )
        written.append(out / "profiles.png")
    cats = (result.get("resumes") or {}).get("per_category")
    if cats:
        fig, ax = plt.subplots(figsize=(7, 0.3 * len(cats) + 1.5), dpi=120)
        ys = list(range(len(cats)))
        ax.barh([y - 0.2 for y in ys], [c["top3"] for c in cats], height=0.4, color="tab:gray", label="top 3")
        ax.barh([y + 0.2 for y in ys], [c["top1"] for c in cats], height=0.4, color="tab:blue", label="top 1")
        ax.axvline(TARGETS["resume_top1"], color="tab:red", linestyle="--", label="top-1 target")
        ax.set_yticks(ys, [f"{c['category']} ({c['résumés']})" for c in cats], fontsize=7)
        ax.set_ylim(len(cats) + 2.0, -0.8)  # top to bottom, with room under the bars for the legend
        ax.set_xlim(0, 1.05)
        save_figure(
            fig,
            ax,
            out / "profiles_resumes.png",
            title="Résumé occupation family accuracy per category",
            xlabel="accuracy",
            ylabel="",
        )
        written.append(out / "profiles_resumes.png")
    return written
