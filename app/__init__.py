"""Serving: explanation pipeline, LLM backends, REST API, Gradio UI, CLI."""
