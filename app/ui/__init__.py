"""Gradio chat UI mounted at /ui (see :mod:`app.ui.chat`)."""
