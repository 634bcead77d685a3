"""The ``waypoint`` command line. Thin: every command calls a service that the API and UI share."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from retrieval.catalogue.errors import IngestError
from retrieval.settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Waypoint career guidance.")
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    """Clear message on stderr and exit code 2 for bad input (DESIGN.md contract)."""
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@app.command()
def ingest(
    data: Optional[str] = typer.Option(None, "--data", help="Data directory, zip or URL (default: WAYPOINT_DATA)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when the sources are unchanged."),
    catalogue_only: bool = typer.Option(False, "--catalogue-only", help="Skip building search indexes."),
) -> None:
    """Build the catalogue (and indexes) from O*NET, ESCO, courses, jobs and the job-view log."""
    from retrieval.catalogue.ingest import ingest as run_ingest

    try:
        report = run_ingest(data, force=force)
    except IngestError as exc:
        fail(str(exc))
    state = "built" if report.changed else "up to date (nothing changed)"
    err.print(f"catalogue {state}: {report.path} in {report.seconds:.1f}s")
    if not catalogue_only:
        try:
            from retrieval.indexing import build_indexes
        except ImportError:
            return
        build_indexes(get_settings())


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
    info = {"catalogue": str(settings.catalogue_path), "built_at": get_meta(conn, "built_at"),
            "size_mb": round(settings.catalogue_path.stat().st_size / 1e6, 1), "counts": counts}
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
) -> None:
    """Recommend items for each profile; one JSON result per line on stdout."""
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
        results = run(profiles, kind_value, k)
    except ProfileError as exc:
        fail(str(exc))
    except IngestError as exc:
        fail(str(exc))
    for result in results:
        print(result.model_dump_json())


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
