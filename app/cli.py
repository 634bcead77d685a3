"""The ``waypoint`` command line. Thin: every command calls a service that the API and UI share.

One framework, typer, end to end (:mod:`app.clikit`): the commands here are declared in this module; the
training, evaluation, simulation, registry, benchmark and server commands are declared, options and all,
next to the code they run (``training/sft.py``, ``eval/jobs.py``, ``app/server.py``, ...) and mounted below
by name, so ``waypoint <cmd> --help`` lists each command's real options and a module is imported only when
its command runs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.clikit import command_typer, err, fail, lazy_typer
from retrieval.catalogue.errors import IngestError
from retrieval.settings import apply_process_environment, get_settings

__all__ = ["app", "fail", "main", "serve_cli"]

# Commands declared where their work is done: name -> "module:typer" (app.clikit.lazy_typer).
ROOT_COMMANDS = {
    "simulate": "training.simulator:cli",
    "loop": "training.loop:cli",
    "adapters": "training.registry:cli",
    "bench": "eval.bench.main:cli",
    "serve": "app.cli:serve_cli",  # declared below, importing app.server (FastAPI, Gradio) only to serve
}
EVAL_COMMANDS = {
    "recommend": "eval.recommend_occupations:cli",
    "occupation-cv": "eval.occupation_cv:cli",
    "jobs": "eval.jobs:cli",
    "jobs-cold-start": "eval.jobs_cold:cli",
    "skills": "eval.skills_extraction:cli",
    "explain": "eval.explain:cli",
    "setfit": "eval.setfit_eval:cli",
    "profiles": "eval.profiles:cli",
    "courses": "eval.courses:cli",
    "chat-routing": "eval.chat_routing:cli",
    "provenance": "eval.provenance:cli",
    "gap-order": "eval.gap_order:cli",
    "limits": "eval.limits:cli",
    "schooling": "eval.schooling:cli",
    "remote": "eval.remote:cli",
    "leaving": "eval.leaving:cli",
    "pay": "eval.pay:cli",
    "strengths": "eval.strengths:cli",
    "outdoor": "eval.outdoor:cli",
    "desk": "eval.desk:cli",
    "veterans": "eval.veterans:cli",
    "hours": "eval.hours:cli",
    "interests": "eval.interests:cli",
    "ope": "training.ope:cli",
}
TRAIN_COMMANDS = {
    "reranker": "training.reranker:cli",
    "setfit": "training.setfit_models:cli",
    "golden": "training.golden:cli",
    "sft": "training.sft:cli",
    "preferences": "training.preferences:cli",
    "dpo": "training.dpo:cli",
    "kto": "training.kto:cli",
}

app = lazy_typer(ROOT_COMMANDS, add_completion=False, no_args_is_help=True, help="Waypoint career guidance.")


ALLOW_DEGRADED_HELP = (
    "When another process holds the vector store, run without it (results differ) instead of exiting 2."
)


def claim_vector_store(
    collections: list[str] | None, *, instead: str, degraded: str | None = None, allow_degraded: bool = False
) -> None:
    """Open the vector-store collections this command will use before it does any work.

    Why: Qdrant Edge lets one process open a store at a time, and the code that reads it degrades
    quietly when it cannot (a server must keep answering). A CLI run beside ``waypoint serve`` used to
    exit 0 with silently worse results; now it exits 2 naming the lock and its holder, unless the user
    chose ``allow_degraded`` (``--allow-degraded``; ``degraded`` says what then differs, None: the
    command has no such mode). ``instead`` is the other way to get the job done.
    ``collections=None`` claims every existing one. Once claimed, they stay this process's until it exits.
    """
    from retrieval.vectorstore.health import probe_store

    health = probe_store(get_settings(), collections)
    if health.ok:
        return
    if health.locked:
        first = health.locked[0]
        who = first.holder.describe() if first.holder else "another process"
        names = ", ".join(sorted(e.collection for e in health.locked))
        problem = (
            f"the vector store is in use by {who}: collection(s) {names} under {Path(first.path).parent} "
            f"are locked (lock: {Path(first.path) / 'wal'}). Qdrant Edge lets one process open a store "
            "at a time."
        )
        todo = f"Stop that process, or {instead}"
    else:
        problem = "the vector store cannot be opened: " + "; ".join(f"{k}: {v}" for k, v in health.problems.items())
        todo = "Check WAYPOINT_QDRANT_URL / the index directory, or re-run `waypoint ingest`"
    if degraded is None:
        fail(f"{problem}\n{todo}.")
    if not allow_degraded:
        fail(f"{problem}\n{todo}, or rerun with --allow-degraded to {degraded}.")
    err.print(f"[yellow]warning:[/yellow] {problem} Continuing without it (--allow-degraded): {degraded}.")


@app.command()
def ingest(
    data: str | None = typer.Option(None, "--data", help="Data directory, zip or URL (default: WAYPOINT_DATA)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when the sources are unchanged."),
    catalogue_only: bool = typer.Option(
        False, "--catalogue-only", help="Skip `waypoint build` (models and indexes); the server needs it."
    ),
) -> None:
    """Build the catalogue from O*NET, ESCO, courses, jobs and the job-view log, then run `waypoint build`."""
    from retrieval.catalogue.ingest import ingest as run_ingest

    if not catalogue_only:  # the indexes are written into the vector store: claim it before building anything
        claim_vector_store(None, instead="run `waypoint ingest --catalogue-only` now and `waypoint build` later")
    try:
        report = run_ingest(data, force=force)
    except IngestError as exc:
        fail(str(exc))
    state = "built" if report.changed else "up to date (nothing changed)"
    err.print(f"catalogue {state}: {report.path} in {report.seconds:.1f}s")
    if not catalogue_only:
        _run_build(recheck=False, required_only=False)


def _run_build(*, recheck: bool, required_only: bool) -> None:
    """`waypoint build`'s work, shared with `waypoint ingest`: build under the lock, then a summary table."""
    from app.build import build as run_build
    from retrieval.artifacts import ArtifactError

    settings = get_settings()
    started = time.perf_counter()
    try:
        report = run_build(
            settings,
            include_optional=not required_only,
            recheck=recheck,
            say=lambda line: err.print(f"[bold]build:[/bold] {line}", soft_wrap=True),
        )
    except ArtifactError as exc:
        fail(exc.message)
    table = Table(title=f"Waypoint build ({settings.home}, {time.perf_counter() - started:.1f}s)")
    for column in ("component", "status", "seconds"):
        table.add_column(column)
    for name, row in report.items():
        table.add_row(name, row["status"], f"{row['seconds']:.1f}")
    err.print(table)


@app.command()
def build(
    recheck: bool = typer.Option(
        False,
        "--recheck",
        help=("Run every builder even when the manifest says it is current (each still reuses the files that exist)."),
    ),
    required_only: bool = typer.Option(
        False,
        "--required-only",
        help=("Only what the server cannot serve without (skips the explanation memory and the LLM conversion)."),
    ),
) -> None:
    """Build every model and index the server loads (occupation features and ranker, job ranker, skills graph,
    explanation memory, ...) into $WAYPOINT_HOME; quick when nothing changed. `waypoint ingest` runs it.

    Safe to run twice at once (a file lock: the second waits, then finds everything built); a crash leaves
    the previous artifacts usable. The server only loads what this builds, so run it with the server's
    settings (WAYPOINT_OCCUPATION_TASK_ALIGNMENT, WAYPOINT_GAP_EMBEDDINGS, WAYPOINT_GAP_ESCO_MAP, ...)."""
    claim_vector_store(None, instead="stop the server, build, then start it again (the build writes the vector store)")
    _run_build(recheck=recheck, required_only=required_only)


@app.command()
def stats(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """What the catalogue holds: rows per table, sources and build time."""
    from retrieval.catalogue.db import get_meta, require_catalogue, table_counts
    from retrieval.catalogue.schema import TABLES

    settings = get_settings()
    try:
        conn = require_catalogue(settings.catalogue_path)
    except IngestError as exc:
        fail(str(exc))
    counts = table_counts(conn, TABLES)
    info = {
        "catalogue": str(settings.catalogue_path),
        "built_at": get_meta(conn, "built_at"),
        "size_mb": round(settings.catalogue_path.stat().st_size / 1e6, 1),
        "counts": counts,
    }
    if as_json:
        print(json.dumps(info, indent=2))
        return
    table = Table(title=f"Waypoint catalogue ({info['size_mb']} MB, built {info['built_at']})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    Console().print(table)


@app.command()
def recommend(
    batch: Path = typer.Option(..., "--batch", help="JSONL file: one profile per line ('-' for stdin)."),
    kind: str = typer.Option("occupation", "--kind", help="occupation | job | course | skill"),
    k: int = typer.Option(20, "--k", help="Items per profile (1–200)."),
    allow_degraded: bool = typer.Option(False, "--allow-degraded", help=ALLOW_DEGRADED_HELP),
) -> None:
    """Recommend items for each profile; one JSON result per line on stdout."""
    from retrieval.occupations.service import COLLECTION
    from retrieval.profile import ProfileError
    from retrieval.recommend import Kind, parse_profiles, recommend as run

    try:
        kind_value = Kind(kind)
    except ValueError:
        fail(f"unknown kind {kind!r}; choose one of: {', '.join(x.value for x in Kind)}")
    try:
        lines = sys.stdin.readlines() if str(batch) == "-" else batch.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {batch}: {exc}")
    try:
        profiles = parse_profiles(lines)
        # Only occupation recommendations for text profiles search the vector store: claim it for those alone,
        # so code and title lookups run beside a server that holds it.
        if kind_value is Kind.occupation and any(p.text or p.user_id for p in profiles):
            claim_vector_store(
                [COLLECTION],
                instead="send the profiles to the running server (POST /v1/recommend)",
                degraded="score text profiles exactly in memory instead of by Qdrant hybrid search",
                allow_degraded=allow_degraded,
            )
        results = run(profiles, kind_value, k)
    except ProfileError as exc:
        fail(str(exc))
    except IngestError as exc:
        fail(str(exc))
    for result in results:
        print(result.model_dump_json())


@app.command()
def understand(
    text: str = typer.Argument(None, help="A self-description or résumé text ('-' or nothing: read stdin)."),
) -> None:
    """What Waypoint understands from a text: occupations, held skills and goals, each with the words behind it."""
    from retrieval.profile import MAX_TEXT_CHARS
    from retrieval.understanding.service import understand as run

    if text in (None, "-"):
        text = sys.stdin.read()
    if len(text) > MAX_TEXT_CHARS:
        fail(f"text is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}")
    try:
        result = run(text)
    except IngestError as exc:
        fail(str(exc))
    print(result.model_dump_json(indent=2))
    if result.status != "understood":
        raise typer.Exit(2)


@app.command()
def gap(
    profile: Path = typer.Option(..., "--profile", help="Profile JSON file."),
    item: str = typer.Option(..., "--item", help="Occupation id (O*NET or ESCO) or job posting id."),
) -> None:
    """Matched, partial and missing skills of a profile for an occupation or posting, with courses."""
    from retrieval.skills.commands import SkillsInputError, gap_command

    try:
        result = gap_command(profile, item)
    except (SkillsInputError, ValueError) as exc:
        fail(str(exc))
    print(json.dumps(result, indent=2, ensure_ascii=False))


@app.command()
def path(
    source: str = typer.Option(..., "--from", help="Current occupation (code or title)."),
    target: str = typer.Option(..., "--to", help="Target occupation (code or title)."),
    k: int = typer.Option(3, "--k", help="How many alternative paths."),
) -> None:
    """Career-transition paths through related occupations that need the least new learning."""
    from retrieval.skills.commands import SkillsInputError, path_command

    try:
        result = path_command(source, target, k=k)
    except (SkillsInputError, ValueError) as exc:
        fail(str(exc))
    print(json.dumps(result, indent=2, ensure_ascii=False))


eval_app = lazy_typer(
    EVAL_COMMANDS, no_args_is_help=True, help="Quality evaluations (JSON + markdown + plots in eval/reports)."
)
app.add_typer(eval_app, name="eval")

train_app = lazy_typer(
    TRAIN_COMMANDS, no_args_is_help=True, help="Training scripts (sentence-transformers, SetFit, trl)."
)
app.add_typer(train_app, name="train")


@app.command()
def explain(
    profile: Path = typer.Option(..., "--profile", help="Profile JSON file."),
    item: str = typer.Option(..., "--item", help="Item id, e.g. 21-1091.00."),
    backend: str | None = typer.Option(None, "--backend", help="deterministic | transformers | openai (vLLM)"),
    allow_degraded: bool = typer.Option(False, "--allow-degraded", help=ALLOW_DEGRADED_HELP),
) -> None:
    """Explain why an item suits a profile, grounded in cited evidence (one JSON object)."""
    from app.explain import memory
    from app.explain.service import explain_command
    from retrieval.occupations.service import COLLECTION

    if get_settings().explain_use_memory:
        kinds = (*memory.CATALOGUE_COLLECTIONS, memory.PROFILE)
        claim_vector_store(
            [memory.collection_name(k) for k in kinds] + [COLLECTION],
            instead="ask the running server (POST /v1/explain)",
            degraded="explain from the catalogue alone (no passages retrieved from the memory)",
            allow_degraded=allow_degraded,
        )

    try:
        result = explain_command(profile, item, backend)
    except ValueError as exc:
        fail(str(exc))
    print(json.dumps(result, indent=2, ensure_ascii=False))


@app.command("settings")
def settings_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    changed: bool = typer.Option(False, "--changed", help="Only the settings that differ from their defaults."),
) -> None:
    """Every setting by group: its WAYPOINT_* variable, the value in effect (secrets masked) and what it does."""
    from retrieval.settings import settings_reference

    rows = [r for r in settings_reference(get_settings()) if r["changed"] or not changed]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    console = Console()
    for group in dict.fromkeys(r["group"] for r in rows):
        table = Table(title=group, title_justify="left", show_lines=False)
        for column in ("env", "value", "description"):
            table.add_column(column, overflow="fold")
        for r in (r for r in rows if r["group"] == group):
            value = f"[bold]{r['value']}[/bold]" if r["changed"] else r["value"]
            table.add_row(r["env"], value, r["description"])
        console.print(table)


@app.command("export-events")
def export_events_cmd(out: Path = typer.Option(..., "--out", help="Parquet file to write.")) -> None:
    """Export feedback events (impressions, clicks, dwell, thumbs, corrections) for training."""
    from app.feedback import export_events

    print(json.dumps(export_events(out)))


serve_cli = command_typer()  # also `python -m app.server`


@serve_cli.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on (default: WAYPOINT_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: WAYPOINT_PORT)")] = None,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="REST only, without the Gradio UI at /ui.")] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level")] = "info",
) -> None:
    """Serve the REST API (/v1/*, /docs, /metrics) and the Gradio chat UI at /ui.

    Without WAYPOINT_API_KEYS only a loopback address is served (the open local mode)."""
    from app.api.auth import InsecureBind
    from app.privacy.secret import SecretConfigError
    from app.server import serve as run

    try:
        run(host, port, log_level=log_level, mount_ui=not no_ui)
    except (InsecureBind, SecretConfigError) as exc:
        fail(str(exc))


def main() -> None:
    """Console-script entry point."""
    apply_process_environment()
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
