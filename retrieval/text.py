"""Text and label normalisation shared by ingestion, skill matching and retrieval.

Alias matching only works if every stage normalises labels the same way, so the rules live here
once: Unicode NFKC, lower case, ``&`` → ``and``, punctuation that does not carry meaning in skill
names dropped (but ``+``, ``#`` and ``.`` inside tokens kept, for C++, C#, .NET, Node.js).
"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
# Keep + and # (C++, C#), and dots between word characters (node.js, .net handled below).
_DROP = re.compile(r"[^\w+#.\s/-]")
_EDGE_DOTS = re.compile(r"(?<!\w)\.(?!net\b)|\.(?!\w)")


def normalize_label(text: str) -> str:
    """Canonical form of a skill/occupation label for exact alias lookups."""
    text = unicodedata.normalize("NFKC", text or "").lower().replace("&", " and ")
    text = text.replace("’", "'").replace("'", "")
    text = _DROP.sub(" ", text)
    text = _EDGE_DOTS.sub(" ", text)
    text = text.replace("/", " / ").replace(" - ", " ")
    return _SPACE.sub(" ", text).strip(" -/")


def clean_text(text: str) -> str:
    """Whitespace-collapsed text with mojibake of the common UTF-8-as-Latin-1 kind repaired."""
    if not text:
        return ""
    if "Ã" in text or "â€" in text:
        try:
            text = text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def slugify(text: str) -> str:
    """Stable ASCII id fragment for labels that have no id of their own (technology skills)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("c++", "cpp").replace("c#", "csharp").replace("f#", "fsharp").replace(".net", "dotnet")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#.]*")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens (keeps C++, C#, node.js) for lexical features."""
    return _TOKEN.findall(normalize_label(text))
