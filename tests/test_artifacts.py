"""The build/serve contract of retrieval/artifacts.py on small real components in a tmp home.

Each component here really writes its file (temporary path, then rename, as the real builders do), so
the tests check the manifest, the lock, a crash mid-build and the load-only rule end to end -- without the
real catalogue. Two processes building at once are two real processes.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from pathlib import Path

import pytest

from retrieval.artifacts import (
    BUILD_COMMAND,
    Component,
    NotBuilt,
    StaleArtifact,
    build_components,
    building_allowed,
    check,
    load_only,
    read_manifest,
    require_build_allowed,
)
from retrieval.settings import Settings

FP = "f" * 64


def _writer(name: str, calls: list[str] | None = None, *, delay_s: float = 0.0, fail: bool = False):
    """A builder that writes ``<home>/models/<name>.bin`` atomically, like the real ones."""

    def build(settings: Settings, _progress: bool) -> list[Path]:
        require_build_allowed(name)
        if calls is not None:
            calls.append(name)
        path = Path(settings.home) / "models" / f"{name}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(os.urandom(64))
        time.sleep(delay_s)
        if fail:
            raise RuntimeError("killed mid-build")
        os.replace(tmp, path)
        return [path]

    return build


def _ranker(calls=None, version="v8", **kw) -> Component:
    return Component(
        "ranker",
        "test ranker",
        {"ranker": version},
        _writer("ranker", calls, **kw),
        settings_key=lambda s: {"occupation_task_alignment": s.occupation_task_alignment},
    )


def _quiet(_line: str) -> None:
    pass


def test_build_records_then_a_second_build_only_reads_the_manifest(tmp_path):
    settings = Settings(home=tmp_path)
    calls: list[str] = []
    components = [
        _ranker(calls),
        Component("optional", "memory", {"m": 1}, _writer("optional", calls), required=False),
        Component("unused", "job model", {"j": 1}, _writer("unused", calls), applies=lambda _s: False),
    ]
    assert check(settings, components, FP).state == "not_built"

    first = build_components(settings, components, FP, say=_quiet)
    assert first == {
        "ranker": {"status": "built", "seconds": first["ranker"]["seconds"]},
        "optional": {"status": "built", "seconds": first["optional"]["seconds"]},
        "unused": {"status": "not needed", "seconds": 0.0},
    }
    record = read_manifest(tmp_path).components["ranker"]
    assert record.files == ["models/ranker.bin"] and record.settings == {"occupation_task_alignment": True}
    assert record.fingerprint == FP and record.version == {"ranker": "v8"}
    assert check(settings, components, FP).ok

    t0 = time.perf_counter()
    second = build_components(settings, components, FP, say=_quiet)
    print(f"\nsecond build with nothing changed: {time.perf_counter() - t0:.3f}s")
    assert {k: v["status"] for k, v in second.items()} == {
        "ranker": "up to date",
        "optional": "up to date",
        "unused": "not needed",
    }
    assert calls == ["ranker", "optional"]  # nothing was rebuilt or even opened


def test_missing_file_stale_version_settings_and_catalogue_each_say_what_to_run(tmp_path):
    settings = Settings(home=tmp_path)
    build_components(settings, [_ranker()], FP, say=_quiet)

    other_settings = settings.model_copy(update={"occupation_task_alignment": False})
    stale = check(other_settings, [_ranker()], FP)
    assert stale.state == "stale" and isinstance(stale.error(), StaleArtifact)
    message = stale.error().message
    assert "WAYPOINT_OCCUPATION_TASK_ALIGNMENT=true when built, false here" in message, message
    assert f"`{BUILD_COMMAND}`" in message

    newer = check(settings, [_ranker(version="v9")], FP).error().message
    assert "ranker v8" in newer and "needs ranker v9" in newer and BUILD_COMMAND in newer, newer

    reingested = check(settings, [_ranker()], "0" * 64).error().message
    assert "another catalogue" in reingested and BUILD_COMMAND in reingested

    (tmp_path / "models" / "ranker.bin").unlink()
    missing = check(settings, [_ranker()], FP)
    assert missing.state == "not_built" and "models/ranker.bin is missing" in missing.error().message

    assert "waypoint ingest" in check(settings, [_ranker()], None).error().message  # no catalogue at all


def test_settings_change_rebuilds_on_build_and_never_silently_reuses(tmp_path):
    settings = Settings(home=tmp_path)
    calls: list[str] = []
    build_components(settings, [_ranker(calls)], FP, say=_quiet)
    other = settings.model_copy(update={"occupation_task_alignment": False})
    report = build_components(other, [_ranker(calls)], FP, say=_quiet)
    assert report["ranker"]["status"] == "built" and calls == ["ranker", "ranker"]
    assert read_manifest(tmp_path).components["ranker"].settings == {"occupation_task_alignment": False}
    assert isinstance(check(settings, [_ranker()], FP).error(), StaleArtifact)  # the first settings are now stale


def test_a_crash_mid_build_leaves_the_previous_artifact_and_record_usable(tmp_path):
    settings = Settings(home=tmp_path)
    build_components(settings, [_ranker()], FP, say=_quiet)
    before = (tmp_path / "models" / "ranker.bin").read_bytes()
    with pytest.raises(RuntimeError, match="killed mid-build"):
        build_components(settings, [_ranker(version="v9", fail=True)], FP, say=_quiet)
    assert (tmp_path / "models" / "ranker.bin").read_bytes() == before  # the rename never happened
    assert read_manifest(tmp_path).components["ranker"].version == {"ranker": "v8"}
    assert check(settings, [_ranker()], FP).ok  # the old code's server still serves


def test_load_only_refuses_to_build_anything(tmp_path):
    settings = Settings(home=tmp_path)
    assert building_allowed()
    with load_only():
        assert not building_allowed()
        with pytest.raises(NotBuilt, match=f"not built: run `{BUILD_COMMAND}`"):
            build_components(settings, [_ranker()], FP, say=_quiet)
        with pytest.raises(NotBuilt, match="a server only loads"):
            require_build_allowed("the occupation ranker")
    assert building_allowed()
    assert not (tmp_path / "models").exists() and read_manifest(tmp_path) is None


def _build_in_child(home: str, delay_s: float, queue) -> None:
    settings = Settings(home=home)
    calls: list[str] = []
    lines: list[str] = []
    started = time.perf_counter()
    build_components(settings, [_ranker(calls, delay_s=delay_s)], FP, say=lines.append)
    queue.put({"pid": os.getpid(), "calls": calls, "lines": lines, "seconds": time.perf_counter() - started})


def test_two_processes_building_at_once_train_once(tmp_path):
    """The second waits on the lock, names the holder, then finds the first one's artifact in the manifest."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    first = ctx.Process(target=_build_in_child, args=(str(tmp_path), 3.0, queue))
    first.start()
    deadline = time.monotonic() + 60
    while not list((tmp_path / "models").glob("*.tmp")):  # the first holds the lock and is mid-write
        assert time.monotonic() < deadline and first.is_alive(), "the first build never started"
        time.sleep(0.05)
    second = ctx.Process(target=_build_in_child, args=(str(tmp_path), 0.0, queue))
    second.start()
    results = {r["pid"]: r for r in (queue.get(timeout=120), queue.get(timeout=120))}
    first.join(30)
    second.join(30)
    assert results[first.pid]["calls"] == ["ranker"]
    assert results[second.pid]["calls"] == []  # waited, then found it built
    assert any("waiting" in line and f"pid {first.pid}" in line for line in results[second.pid]["lines"])
    assert any("up to date" in line for line in results[second.pid]["lines"])
    assert check(Settings(home=tmp_path), [_ranker()], FP).ok


# ------------------------------------------------------------------------------------------ the whole cycle
def test_service_without_its_ranker_is_503_until_waypoint_build_then_serves(synthetic_settings, tmp_path):
    """On the synthetic catalogue: a WaypointService on a home whose occupation ranker is gone refuses with
    the fix and writes no model file; `waypoint build` (its function) retrains only that; a new service
    warms up and answers. The first request after the warm-up is timed and printed (`waypoint bench` keeps
    the figure on the real catalogue)."""
    from app.api.services import Unavailable, WaypointService
    from app.build import build
    from retrieval.profile import Profile
    from tests.home_mirror import mirror_home, model_files

    home = mirror_home(Path(synthetic_settings.home), tmp_path / "home")
    rankers = list((home / "models" / "occupation-ranker").glob("*/ranker.pkl"))
    assert rankers, "the synthetic home has no occupation ranker"
    for path in rankers:
        path.unlink()
    settings = synthetic_settings.model_copy(update={"home": home})
    before = model_files(home)
    profile = Profile(occupation="Registered Nurses", text="I teach patients about their medication.")

    refusing = WaypointService(settings)
    with pytest.raises(Unavailable) as refused:
        refusing.recommend(profile, "occupation", 5, log_impression=False)
    assert refused.value.status == 503 and refused.value.code == "not_built"
    assert f"not built: run `{BUILD_COMMAND}`" in refused.value.message and "ranker.pkl" in refused.value.message
    assert refusing.health()["status"] == "down"
    assert model_files(home) == before  # nothing trained behind the request

    report = build(settings, include_optional=False, show_progress=False, say=_quiet)
    assert report["occupations"]["status"] == "built"
    assert {report[name]["status"] for name in ("jobs", "skills")} == {"up to date"}
    assert [p.name for p in (home / "models" / "occupation-ranker").glob("*/ranker.pkl")] == ["ranker.pkl"]

    serving = WaypointService(settings)  # a restarted server
    serving.start_warmup()
    assert serving.models.wait(120), "the warm-up did not finish"
    assert serving.health()["status"] in ("ok", "degraded") and serving.models.status()["state"] == "ready"
    t0 = time.perf_counter()
    answer = serving.recommend(profile, "occupation", 5, log_impression=False)
    print(
        f"\nfirst request after the warm-up ({serving.models.status()['warmup']['seconds']} s): "
        f"{(time.perf_counter() - t0) * 1000:.0f} ms"
    )
    assert answer["items"]
