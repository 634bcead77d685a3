"""docker-compose.yml is a valid Compose file: Compose itself says so where its CLI exists, and the
structure Compose checks is checked here everywhere else.

Why both: ``docker compose config`` needs no Docker engine, only the CLI plugin, and is the authority, but
most machines that run the tests (CI included) have neither it nor the old ``docker-compose``; a test that
skips there checks nothing. The structural check catches what breaks ``docker compose up`` before a
container starts: an unknown key (a typo), a service with neither image nor build, a build target the
Dockerfile lacks, a named volume not declared, a dependency on a missing service or on the health of a
service without a healthcheck, a malformed ``${VAR}``, and the required access keys (the app refuses to
serve 0.0.0.0 without them, so Compose must refuse to start without them first). What the settings mean
is tested in ``tests/test_bench.py`` (every WAYPOINT_* variable is a field of retrieval/settings.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"

TOP_LEVEL = {"version", "name", "include", "services", "networks", "volumes", "configs", "secrets", "models"}
# The compose-spec service properties (compose-spec.json, "service" definition).
SERVICE_KEYS = {
    "annotations",
    "attach",
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "label_file",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "models",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_stop",
    "privileged",
    "profiles",
    "provider",
    "pull_policy",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "use_api_socket",
    "user",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
    "working_dir",
}
RESTART = {"no", "always", "on-failure", "unless-stopped"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+alt}, ${NAME+alt}; $$ escapes
_INTERPOLATION = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?[-?+])[^}]*)?\}")
_PORT = re.compile(r"^(?:[\d.]+:)?(?:\d+(?:-\d+)?:)?\d+(?:-\d+)?(?:/(?:tcp|udp))?$")


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(k) + _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _dockerfile_targets() -> set[str]:
    lines = (REPO / "Dockerfile").read_text().splitlines()
    return {line.split()[-1] for line in lines if line.startswith("FROM ") and " AS " in line}


def structure_problems(compose: dict) -> list[str]:
    """What Compose would refuse in this file, as messages (empty: valid)."""
    problems = [f"unknown top-level key {k!r}" for k in compose if k not in TOP_LEVEL and not k.startswith("x-")]
    services = compose.get("services") or {}
    if not services:
        problems.append("no services")
    declared_volumes = set(compose.get("volumes") or {})
    used_volumes: set[str] = set()
    targets = _dockerfile_targets()
    for name, service in services.items():
        where = f"services.{name}"
        problems += [f"{where}: unknown key {k!r}" for k in service if k not in SERVICE_KEYS and not k.startswith("x-")]
        if "image" not in service and "build" not in service:
            problems.append(f"{where}: neither image nor build")
        build = service.get("build")
        if isinstance(build, dict) and build.get("target") and build["target"] not in targets:
            problems.append(f"{where}: build target {build['target']!r} is not a Dockerfile stage {sorted(targets)}")
        env = service.get("environment") or {}
        if isinstance(env, dict):
            problems += [
                f"{where}: environment {k} is a {type(v).__name__}"
                for k, v in env.items()
                if not isinstance(v, (str, int, float, bool, type(None)))
            ]
        elif not all(isinstance(item, str) for item in env):
            problems.append(f"{where}: environment is neither a mapping nor a list of NAME=value")
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/", "~", "$")):
                used_volumes.add(source)
                if source not in declared_volumes:
                    problems.append(f"{where}: named volume {source!r} is not declared under volumes:")
        for port in service.get("ports") or []:
            if isinstance(port, str) and not _PORT.match(port):
                problems.append(f"{where}: port {port!r}")
        if (
            "restart" in service
            and service["restart"] not in RESTART
            and not str(service["restart"]).startswith("on-failure:")
        ):
            problems.append(f"{where}: restart {service['restart']!r}")
        depends = service.get("depends_on") or []
        for dep in depends:
            if dep not in services:
                problems.append(f"{where}: depends on {dep!r}, which is no service")
            elif isinstance(depends, dict):
                condition = (depends[dep] or {}).get("condition", "service_started")
                if condition not in CONDITIONS:
                    problems.append(f"{where}: depends_on.{dep} condition {condition!r}")
                if condition == "service_healthy" and "healthcheck" not in services[dep]:
                    problems.append(f"{where}: waits for {dep} to be healthy, which has no healthcheck")
        if not all(isinstance(p, str) for p in service.get("profiles") or []):
            problems.append(f"{where}: profiles must be strings")
    problems += [f"volume {v!r} is declared and used by no service" for v in sorted(declared_volumes - used_volumes)]
    for text in _strings(compose):
        rest = _INTERPOLATION.sub("", text.replace("$$", ""))
        if "${" in rest:
            problems.append(f"malformed interpolation in {text[:80]!r}")
    return problems


def test_the_compose_file_validates():
    """The structure everywhere; Compose's own ``config`` (which reads and validates the file and needs no
    engine) too where a Compose CLI exists, with and without the required keys."""
    assert structure_problems(_compose()) == []
    cli = _compose_cli()
    if cli is None:  # CI and most machines: the structure above is the check
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAYPOINT_")}
    run = [*cli, "-f", str(COMPOSE), "--profile", "cpu", "config", "--quiet"]
    done = subprocess.run(
        run, cwd=REPO, env={**env, "WAYPOINT_API_KEYS": "key-a,key-b"}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    refused = subprocess.run(run, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "WAYPOINT_API_KEYS" in refused.stderr, refused.stderr


def test_the_access_keys_are_required():
    """Compose refuses to start the app without WAYPOINT_API_KEYS (``${VAR:?message}``): the app serves
    0.0.0.0 there and would refuse anyway, later and less clearly."""
    keys = _compose()["services"]["app"]["environment"]["WAYPOINT_API_KEYS"]
    assert re.fullmatch(r"\$\{WAYPOINT_API_KEYS:\?[^}]+\}", keys), keys


def test_the_structure_check_finds_each_kind_of_mistake():
    """The check above can fail: each mistake planted in a copy of the real file is reported."""
    broken = _compose()
    app = broken["services"]["app"]
    app["enviroment"] = {}  # a typo
    app["volumes"].append("no-such-volume:/x")  # an undeclared named volume
    app["depends_on"]["redis"] = {"condition": "service_healthy"}  # a missing service
    app["environment"] = {**app["environment"], "WAYPOINT_PORT": ["8000"], "WAYPOINT_HOST": "${HOST"}
    broken["services"]["ingest"]["build"]["target"] = "gpu"  # no such Dockerfile stage
    broken["services"]["postgres"].pop("healthcheck")  # the app waits for it to be healthy
    problems = "\n".join(structure_problems(broken))
    for expected in (
        "unknown key 'enviroment'",
        "'no-such-volume' is not declared",
        "depends on 'redis'",
        "WAYPOINT_PORT is a list",
        "malformed interpolation in '${HOST'",
        "target 'gpu'",
        "waits for postgres to be healthy",
    ):
        assert expected in problems, (expected, problems)


def _compose_cli() -> list[str] | None:
    """``docker compose`` (the v2 plugin) where it answers, else the standalone ``docker-compose``."""
    if shutil.which("docker"):
        done = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
        if done.returncode == 0:
            return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None
