"""The Gradio chat UI, mounted at ``/ui`` on the FastAPI app.

A person describes themselves (chat or résumé upload), sees recommended occupations (and jobs and
courses where the build has them) with explanations, asks "Am I a good fit for X?", edits what
Waypoint believes about them (occupation, skills), and gives feedback: helpful / not helpful with a reason, "Why?"
(a click: the full explanation opens) and dwell (how long an explanation stays open, logged when it
is closed or another one opens). Every handler calls :class:`app.api.services.WaypointService`, the
same code path as the REST API, so the events the UI produces are the ones the API produces.

Stable ``elem_id``s for browser tests: ``chat``, ``chat-input``, ``chat-send``, ``resume-upload``,
``profile-occupation``, ``profile-skills``, ``profile-save``, ``recs``, ``why-btn``, ``explanation``,
``thumbs-up``, ``thumbs-down``, ``thumbs-reason``, ``close-btn``, ``feedback-status``.
"""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

import gradio as gr

from app.api.services import DETERMINISTIC, ServiceError, WaypointService, parse_fit_question
from app.feedback.store import THUMBS_REASONS
from app.ui.files import MAX_FILE_BYTES, FileError, read_resume, upload_folder
from retrieval.profile import Profile

log = logging.getLogger("waypoint.ui")

UI_PATH = "/ui"
RECOMMEND_K = 5
MAX_PROFILE_TEXT = 20_000
REASON_LABELS = {"not_relevant": "Not relevant to me", "wrong_skill": "A skill is wrong",
                 "missing_skill": "A skill is missing", "too_generic": "Too generic", "other": "Other"}
CSS = """
#explanation {min-height: 120px}
#feedback-status {min-height: 1.5em}
.waypoint-fit {font-weight: 600}
"""
WELCOME = ("Hi! Tell me about yourself — what you do now, your skills, what you enjoy — or upload your résumé. "
           "I'll suggest occupations and explain each suggestion. You can also ask *“Am I a good fit for data "
           "scientist?”*")


# ------------------------------------------------------------------------------------------------ state
def _new_state() -> dict:
    return {"session_id": None, "profile": {"occupation": None, "skills": [], "text": None},
            "recs": [], "impression_id": None, "explanations": {}, "open": None}


def _session(state: dict) -> str:
    if not state.get("session_id"):
        state["session_id"] = "ui-" + uuid.uuid4().hex[:16]
    return state["session_id"]


def _profile(state: dict) -> Profile:
    p = state["profile"]
    return Profile(occupation=p.get("occupation") or None, skills=list(p.get("skills") or []),
                   text=p.get("text") or None)


def _has_profile(state: dict) -> bool:
    p = state["profile"]
    return bool(p.get("occupation") or p.get("skills") or p.get("text"))


def _split_skills(text: str | None) -> list[str]:
    out: list[str] = []
    for raw in (text or "").replace("\n", ",").replace(";", ",").split(","):
        s = raw.strip()
        if s and s.lower() not in {x.lower() for x in out}:
            out.append(s)
    return out[:200]


def _choice_label(item: dict) -> str:
    return f"{item['title']} ({item['id']})"


# ------------------------------------------------------------------------------------------------ rendering
def render_explanation(e: dict) -> str:
    """Markdown for the explanation panel: fit, summary, matched and missing skills with courses, citations."""
    item = e.get("item") or {}
    lines = [f"### {item.get('title', item.get('id', ''))}",
             f"<span class='waypoint-fit'>Fit: {e.get('fit', '?')}</span> · faithfulness "
             f"{float(e.get('faithfulness') or 0):.2f}", "", e.get("summary", "")]
    cite = lambda ids: " " + " ".join(f"[{i}]" for i in ids) if ids else ""  # noqa: E731
    if e.get("matched_skills"):
        lines += ["", "**Skills you already have**"]
        lines += [f"- {s['label']}{cite(s.get('evidence'))}" for s in e["matched_skills"][:10]]
    if e.get("missing_skills"):
        lines += ["", "**Skills to build** (and courses that teach them)"]
        for s in e["missing_skills"][:8]:
            courses = "; ".join(c["title"] for c in (s.get("courses") or [])[:2])
            lines.append(f"- {s['label']}{cite(s.get('evidence'))}" + (f" — courses: {courses}" if courses else ""))
    if e.get("next_steps"):
        lines += ["", "**Next steps**"] + [f"{n}. {step}" for n, step in enumerate(e["next_steps"], 1)]
    if e.get("citations"):
        lines += ["", "<details><summary>Evidence</summary>", ""]
        lines += [f"- [{c['id']}] *{c['source']}*: {c['text']}" for c in e["citations"][:20]]
        lines += ["", "</details>"]
    model = e.get("model") or {}
    note = f"_Written by {model.get('backend', '?')}/{model.get('name', '?')}"
    if model.get("adapter"):
        note += f" + {model['adapter']}"
    if e.get("fallback_reason"):
        note += f" (fallback: {e['fallback_reason']})"
    lines += ["", note + "._"]
    return "\n".join(lines)


def _short(e: dict, n: int) -> str:
    item = e.get("item") or {}
    return f"**{n}. {item.get('title')}** — fit: {e.get('fit')}. {e.get('summary', '')}"


# ------------------------------------------------------------------------------------------------ the app
class ChatUI:
    """Handlers bound to one service; :meth:`build` returns the Blocks."""

    def __init__(self, service: WaypointService):
        self.svc = service

    @property
    def eager(self) -> int:
        """How many recommendations get an explanation right away (LLM explanations cost seconds each)."""
        return 3 if self.svc.settings.llm_backend == DETERMINISTIC else 1

    # -------------------------------------------------------------- feedback helpers
    def _close_open(self, state: dict) -> None:
        """Log dwell for the explanation that is open, if any."""
        current = state.get("open")
        if not current:
            return
        state["open"] = None
        dwell_ms = max(0.0, (time.monotonic() - current["t0"]) * 1000.0)
        try:
            self.svc.feedback({"type": "dwell", "item_id": current["item_id"], "dwell_ms": round(dwell_ms, 1),
                               "impression_id": current.get("impression_id"), "position": current.get("position"),
                               "session_id": _session(state)})
        except ServiceError as exc:
            log.warning("dwell not logged: %s", exc.message)

    def _open(self, state: dict, explanation: dict, position: int | None) -> None:
        state["open"] = {"item_id": explanation["item"]["id"], "impression_id": explanation.get("impression_id"),
                         "position": position, "t0": time.monotonic()}

    def _explain(self, state: dict, item_id: str, position: int | None, surface: str) -> dict:
        cached = state["explanations"].get(item_id)
        if cached is not None:
            return cached
        shown = [r["id"] for r in state["recs"]] or None
        explanation = self.svc.explain(_profile(state), item_id, session_id=_session(state),
                                       impression_id=state.get("impression_id") if shown and item_id in shown else None,
                                       position=position, shown=shown, surface=surface)
        state["explanations"][item_id] = explanation
        return explanation

    def _recommend(self, state: dict) -> list[str]:
        """Recommend occupations (+ jobs and courses when available), explain the top ones; chat lines."""
        profile = _profile(state)
        result = self.svc.recommend(profile, "occupation", RECOMMEND_K, session_id=_session(state), surface="ui_list")
        state["recs"] = [{"id": i["id"], "title": i["title"], "kind": i["kind"]} for i in result["items"]]
        state["impression_id"] = result.get("impression_id")
        state["explanations"] = {}
        lines = []
        if not state["recs"]:
            return ["I couldn't find occupations for that yet — tell me more about what you do."]
        lines.append("Here are occupations that fit you:")
        for n, rec in enumerate(state["recs"]):
            if n < self.eager:
                e = self._explain(state, rec["id"], n, "ui_chat")
                lines.append(_short(e, n + 1))
            else:
                lines.append(f"**{n + 1}. {rec['title']}**")
        for kind, heading in (("job", "Job postings"), ("course", "Courses")):
            try:
                extra = self.svc.recommend(profile, kind, 3, session_id=_session(state), surface="ui_list")
            except ServiceError:
                continue  # not available in this build, or nothing to match on
            if extra["items"]:
                lines.append(f"\n{heading}: " + "; ".join(i["title"] for i in extra["items"]))
        lines.append("\nPick one under **Recommendations** and press **Why?** for the full reasoning.")
        return lines

    def _profile_outputs(self, state: dict):
        p = state["profile"]
        return p.get("occupation") or "", ", ".join(p.get("skills") or [])

    def _recs_update(self, state: dict, selected: str | None = None):
        choices = [_choice_label(r) for r in state["recs"]]
        value = selected if selected in choices else (choices[0] if choices else None)
        return gr.update(choices=choices, value=value)

    # -------------------------------------------------------------- handlers
    def on_message(self, message: str, history: list, state: dict):
        state = state or _new_state()
        history = list(history or [])
        message = (message or "").strip()
        panel = gr.update()
        if not message:
            return ("", history, state, *self._profile_outputs(state), self._recs_update(state), panel)
        limit = self.svc.settings.max_text_chars
        if len(message) > limit:  # the textbox's max_length is the browser's; a queue call can skip it
            history.append({"role": "assistant", "content": f"Sorry — that message is {len(message):,} characters; "
                            f"the limit is {limit:,}. Paste the most relevant part, or upload your résumé."})
            return (message[:limit], history, state, *self._profile_outputs(state), self._recs_update(state), panel)
        history.append({"role": "user", "content": message})
        try:
            target = parse_fit_question(message)
            if target is not None:
                reply, panel = self._fit(state, target)
            else:
                reply = self._describe(state, message)
        except ServiceError as exc:
            reply = f"Sorry — {exc.message}"
        except Exception as exc:  # noqa: BLE001 - the UI answers, never crashes
            log.exception("chat handler failed")
            reply = f"Sorry — something went wrong ({type(exc).__name__}). Please try again."
        history.append({"role": "assistant", "content": reply})
        selected = None
        if state.get("open"):
            match = [r for r in state["recs"] if r["id"] == state["open"]["item_id"]]
            selected = _choice_label(match[0]) if match else None
        return ("", history, state, *self._profile_outputs(state), self._recs_update(state, selected), panel)

    def _describe(self, state: dict, message: str) -> str:
        understood = self.svc.understand(message)
        p = state["profile"]
        if understood.occupation:
            p["occupation"] = understood.occupation_title or understood.occupation
        known = {s.lower() for s in p["skills"]}
        p["skills"] = p["skills"] + [s for s in understood.skills if s.lower() not in known]
        p["text"] = ((p.get("text") or "") + "\n" + message).strip()[-MAX_PROFILE_TEXT:]
        notes = []
        if understood.occupation:
            notes.append(f"I've noted your occupation as **{understood.occupation_title}**.")
        if understood.skills:
            notes.append("Skills I picked up: " + ", ".join(understood.skills[:12]) + ".")
        notes.append("(You can correct both on the right.)")
        return " ".join(notes) + "\n\n" + "\n".join(self._recommend(state))

    def _fit(self, state: dict, target: str):
        if not _has_profile(state):
            return ("First tell me a little about yourself (your job, your skills) so I can compare.", gr.update())
        found = self.svc.resolve_occupation(target)
        if found is None:
            return (f"I couldn't find an occupation called “{target}”. Try another title or an O*NET code.",
                    gr.update())
        item_id, title = found
        self._close_open(state)
        position = next((n for n, r in enumerate(state["recs"]) if r["id"] == item_id), None)
        if position is None:
            state["recs"].append({"id": item_id, "title": title, "kind": "occupation"})
            position = len(state["recs"]) - 1
        e = self._explain(state, item_id, position, "ui_fit")
        self._open(state, e, position)
        reply = (f"**{title}** — fit: **{e.get('fit')}**. {e.get('summary', '')}\n\n"
                 "The full explanation, the skill gap and courses are in the panel below.")
        return reply, render_explanation(e)

    def on_upload(self, path, history: list, state: dict):
        state = state or _new_state()
        history = list(history or [])
        if not path:
            return (history, state, *self._profile_outputs(state), self._recs_update(state))
        try:
            # Gradio has already refused paths outside its upload folder (see mount_ui); the reader checks
            # again (inside the folder after symlinks, a regular file, size, type, parse time) so no client-named
            # path reaches a read unchecked even if that layer changes.
            text = read_resume(path, inside=upload_folder())
            history.append({"role": "user", "content": f"Uploaded {Path(path).name} ({len(text):,} characters)"})
            reply = self._describe(state, text[:MAX_PROFILE_TEXT])
        except FileError as exc:
            log.info("résumé upload refused: %s", exc)
            reply = f"Sorry — {exc}"
        except ServiceError as exc:
            reply = f"Sorry — {exc.message}"
        history.append({"role": "assistant", "content": reply})
        return (history, state, *self._profile_outputs(state), self._recs_update(state))

    def on_save_profile(self, occupation: str, skills_text: str, history: list, state: dict):
        """The person edited what Waypoint believes: log skill corrections, then recommend again."""
        state = state or _new_state()
        history = list(history or [])
        p = state["profile"]
        new_skills = _split_skills(skills_text)
        old = {s.lower(): s for s in p["skills"]}
        new = {s.lower(): s for s in new_skills}
        corrections = [{"skill": old[k], "action": "wrong"} for k in old if k not in new]
        corrections += [{"skill": new[k], "action": "missing"} for k in new if k not in old]
        status = ""
        if corrections:
            try:
                self.svc.feedback({"type": "correction", "corrections": corrections, "session_id": _session(state)})
                status = f"Noted {len(corrections)} skill correction(s)."
            except ServiceError as exc:
                status = f"Corrections not saved: {exc.message}"
        occupation = (occupation or "").strip() or None
        if occupation and occupation != p.get("occupation"):
            found = self.svc.resolve_occupation(occupation)
            if found is None:
                history.append({"role": "assistant", "content": f"I don't know the occupation “{occupation}”; "
                                "I kept your skills and will match on them."})
                occupation = p.get("occupation")
            else:
                occupation = found[1]
        p["occupation"], p["skills"] = occupation, new_skills
        self._close_open(state)
        if _has_profile(state):
            try:
                history.append({"role": "assistant", "content": "Profile updated. " + "\n".join(self._recommend(state))})
            except ServiceError as exc:
                history.append({"role": "assistant", "content": f"Sorry — {exc.message}"})
        return (history, state, *self._profile_outputs(state), self._recs_update(state), status)

    def _selected(self, state: dict, label: str | None) -> tuple[dict, int] | None:
        for n, rec in enumerate(state.get("recs") or []):
            if _choice_label(rec) == label:
                return rec, n
        return None

    def on_why(self, label: str | None, state: dict):
        """"Why?" = a click: log it, open the full explanation (dwell starts), close the previous one."""
        state = state or _new_state()
        found = self._selected(state, label)
        if found is None:
            return state, gr.update(), "Pick a recommendation first."
        rec, position = found
        self._close_open(state)
        try:
            e = self._explain(state, rec["id"], position, "ui_panel")
            self.svc.feedback({"type": "click", "item_id": rec["id"], "impression_id": e.get("impression_id"),
                               "position": position, "session_id": _session(state)})
        except ServiceError as exc:
            return state, gr.update(), f"Sorry — {exc.message}"
        self._open(state, e, position)
        return state, render_explanation(e), ""

    def on_close(self, state: dict):
        state = state or _new_state()
        self._close_open(state)
        return state, "", ""

    def on_thumbs(self, up: bool, reason: str | None, state: dict):
        state = state or _new_state()
        current = state.get("open")
        if not current:
            return state, "Open an explanation first (select one and press **Why?**)."
        event = {"type": "thumbs", "item_id": current["item_id"], "up": up,
                 "impression_id": current.get("impression_id"), "position": current.get("position"),
                 "session_id": _session(state)}
        if not up:
            event["reason"] = reason if reason in THUMBS_REASONS else "other"
        try:
            self.svc.feedback(event)
        except ServiceError as exc:
            return state, f"Feedback not saved: {exc.message}"
        return state, ("Thanks — glad it helped!" if up else
                       f"Thanks — noted: {REASON_LABELS.get(event['reason'], event['reason'])}.")

    # -------------------------------------------------------------- layout
    def build(self) -> gr.Blocks:
        with gr.Blocks(title="Waypoint — career guidance") as demo:
            state = gr.State(_new_state())
            gr.Markdown("# Waypoint\nCareer guidance that shows its evidence.", elem_id="header")
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(value=[{"role": "assistant", "content": WELCOME}], elem_id="chat", height=420,
                                      label="Chat", feedback_options=None)
                    with gr.Row():
                        msg = gr.Textbox(placeholder="e.g. I'm a registered nurse who teaches patients about diabetes…",
                                         show_label=False, elem_id="chat-input", scale=5, lines=1, max_lines=6,
                                         max_length=self.svc.settings.max_text_chars)
                        send = gr.Button("Send", variant="primary", elem_id="chat-send", scale=1)
                    upload = gr.File(label="Or upload a résumé (PDF, DOCX or TXT)", file_types=[".pdf", ".docx", ".txt"],
                                     type="filepath", elem_id="resume-upload", height=130)
                with gr.Column(scale=2):
                    gr.Markdown("### What Waypoint believes about you\nEdit and press **Update** — corrections "
                                "teach the system.")
                    occupation = gr.Textbox(label="Current occupation", elem_id="profile-occupation")
                    skills = gr.Textbox(label="Skills (comma-separated)", lines=4, elem_id="profile-skills")
                    save = gr.Button("Update profile", elem_id="profile-save")
            with gr.Row():
                with gr.Column(scale=2):
                    recs = gr.Radio(choices=[], label="Recommendations", elem_id="recs")
                    why = gr.Button("Why? Show the explanation", elem_id="why-btn", variant="secondary")
                with gr.Column(scale=3):
                    panel = gr.Markdown("", elem_id="explanation", sanitize_html=True)
                    with gr.Row():
                        up = gr.Button("Helpful ✓", elem_id="thumbs-up", size="sm")
                        down = gr.Button("Not helpful ✗", elem_id="thumbs-down", size="sm")
                        reason = gr.Dropdown(choices=[(v, k) for k, v in REASON_LABELS.items()], value="not_relevant",
                                             label="Reason if not helpful", elem_id="thumbs-reason")
                        close = gr.Button("Close", elem_id="close-btn", size="sm")
                    status = gr.Markdown("", elem_id="feedback-status")

            msg_outputs = [msg, chat, state, occupation, skills, recs, panel]
            send.click(self.on_message, [msg, chat, state], msg_outputs, api_visibility="private")
            msg.submit(self.on_message, [msg, chat, state], msg_outputs, api_visibility="private")
            upload.upload(self.on_upload, [upload, chat, state], [chat, state, occupation, skills, recs],
                          api_visibility="private")
            save.click(self.on_save_profile, [occupation, skills, chat, state],
                       [chat, state, occupation, skills, recs, status], api_visibility="private")
            why.click(self.on_why, [recs, state], [state, panel, status], api_visibility="private")
            close.click(self.on_close, [state], [state, panel, status], api_visibility="private")
            up.click(lambda s: self.on_thumbs(True, None, s), [state], [state, status], api_visibility="private")
            down.click(lambda r, s: self.on_thumbs(False, r, s), [reason, state], [state, status],
                       api_visibility="private")
        demo.queue(default_concurrency_limit=4)
        return demo


def build_ui(service: WaypointService) -> gr.Blocks:
    return ChatUI(service).build()


def mount_ui(app, service: WaypointService, path: str = UI_PATH):
    """Mount the UI on ``app`` at ``path`` (returns the app).

    Uploads are capped by Gradio's own upload route at the reader's limit, so a file the route takes is
    never refused for its size afterwards.
    """
    demo = build_ui(service)
    # Gradio checks that a file path sent to an event lies in its upload folder
    # (processing_utils._check_allowed) only once ``has_launched`` is set, and only Blocks.launch() sets it:
    # mounted, any client could name any server file (issue 27: secrets read, /dev/zero hashed on the event
    # loop). Set it so the check applies: inputs must come from the upload folder, outputs from the working
    # or temp directory. In gradio 6.31 nothing else reads the flag (tests/test_security_uploads.py attacks it).
    demo.has_launched = True
    return gr.mount_gradio_app(app, demo, path=path, max_file_size=MAX_FILE_BYTES, ssr_mode=False, css=CSS,
                               footer_links=[], theme=gr.themes.Soft())
