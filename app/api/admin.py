"""Admin routes: hot-load the explainer policies (promoted adapter and challengers) without a restart.

``POST /v1/admin/policies/reload`` re-reads the adapter registry (or takes the names given), loads each
policy's backend *before* swapping -- a transformers policy is its own backend instance (merged weights,
its own prefix KV cache), a vLLM policy is loaded into the running vLLM server through its runtime LoRA
endpoint (``/v1/load_lora_adapter``) -- then swaps the service's logging policy in one step and frees the
retired backends. Requests in flight finish on the policy they started with. ``GET /v1/admin/policies``
shows the current policies and the probability of each arm.

Who may call them: the auth middleware (:mod:`app.api.auth`) has already required a valid key when keys
are set; on top of that an admin call must come with an API key -- a browser's login cookie never
suffices (a page could make the browser send it) -- and, when ``WAYPOINT_ADMIN_API_KEYS`` is set, with
one of those keys. In open local mode (no keys; loopback only) the local user may call them.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, field_validator

from app.api.auth import key_id, parse_keys
from app.api.routes import principal
from app.api.services import NotFound, ServiceError, WaypointService
from app.feedback.policies import PolicyError, PolicyExplorer, check_name, read_policies
from retrieval.settings import LLMBackendName

log = logging.getLogger("waypoint.api")

admin_router = APIRouter(prefix="/v1/admin", tags=["admin"])


class ReloadRequest(BaseModel):
    model_config = {"extra": "forbid"}

    adapters: list[str] | None = Field(
        default=None,
        max_length=8,
        description=(
            "Registry entry names to serve, champion first (or 'base'); default: the registry's promoted adapter "
            "and challengers."
        ),
    )

    @field_validator("adapters")
    @classmethod
    def _names(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            for name in value:
                check_name(name)  # no '/', '.', '..': a name never becomes a path outside the registry
        return value


def require_admin(request: Request) -> None:
    """403 unless the caller may administer this server (module doc)."""
    who = principal(request)
    settings = request.app.state.settings
    admin_ids = {"key:" + key_id(k) for k in parse_keys(settings.admin_api_keys)}  # Principal.identity's form
    if who.via == "local" and not admin_ids:
        return
    if who.via != "api_key":
        raise ServiceError(
            "admin endpoints need an API key in the X-API-Key header (a login cookie is not enough)",
            status=403,
            code="forbidden",
        )
    if admin_ids and not any(hmac.compare_digest(who.identity, i) for i in admin_ids):
        raise ServiceError(
            "this API key may not administer the server (WAYPOINT_ADMIN_API_KEYS)", status=403, code="forbidden"
        )


def _service(request: Request) -> WaypointService:
    return request.app.state.service


def describe(svc: WaypointService) -> dict:
    explorer = svc.explorer
    if not isinstance(explorer, PolicyExplorer):
        return {"policy_exploration": False, "policies": [], "arms": {}}
    return {
        "policy_exploration": True,
        "strategy": svc.settings.policy_strategy,
        "policies": [p.public() | {"score": p.score} for p in explorer.policies],
        "policy_probabilities": explorer.policy_probabilities(),
        "arms": explorer.distribution(),
    }


@admin_router.get("/policies", dependencies=[Depends(require_admin)], summary="Explainer policies being served")
def get_policies(svc: WaypointService = Depends(_service)) -> dict:
    return describe(svc)


@admin_router.post(
    "/policies/reload",
    dependencies=[Depends(require_admin)],
    summary="Hot-load the registry's champion and challengers (no restart)",
)
def reload_policies(body: ReloadRequest | None = None, svc: WaypointService = Depends(_service)) -> dict:
    from app.llm.factory import load_runtime_adapter, policy_backend, release_backends

    settings = svc.settings
    try:
        policies = read_policies(settings, body.adapters if body else None)
    except PolicyError as exc:
        status = 404 if "unknown adapter" in str(exc) else 422
        raise (
            NotFound(str(exc)) if status == 404 else ServiceError(str(exc), status=422, code="validation_error")
        ) from None
    backend = settings.llm_backend  # canonical (Settings validates it)
    loaded = []
    if backend != LLMBackendName.DETERMINISTIC:
        for policy in policies:  # load first: a request never waits for (or fails on) a half-loaded policy
            try:
                if backend == LLMBackendName.OPENAI:
                    if policy.adapter_path:
                        load_runtime_adapter(settings, policy.name, policy.adapter_path)
                    policy_backend(backend, settings, policy.public()["adapter"])
                else:
                    policy_backend(backend, settings, policy.adapter_path)
            except Exception as exc:  # noqa: BLE001 - a policy that cannot load is refused, the old set stays
                log.warning("admin reload: policy %s failed to load: %s", policy.name, exc)
                raise ServiceError(
                    f"policy {policy.name!r} could not be loaded: {type(exc).__name__}: {exc}"[:300],
                    status=503,
                    code="unavailable",
                ) from None
            loaded.append(policy.name)
    if isinstance(svc.explorer, PolicyExplorer):
        svc.explorer.reload(policies)
    else:
        svc.explorer = PolicyExplorer(settings, policies)
    keep = {p.adapter_path or "" for p in policies} | {p.name for p in policies} | {settings.llm_adapter or ""}
    released = release_backends(keep)
    log.info("admin reload: serving %s (released %d backends)", [p.name for p in policies], len(released))
    return describe(svc) | {"loaded": loaded, "released": released}


__all__ = ["admin_router", "require_admin"]
