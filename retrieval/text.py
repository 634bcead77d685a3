"""Text and label normalisation shared by ingestion, skill matching and retrieval.

Alias matching only works if every stage normalises labels the same way, so the rules live here
once: Unicode NFKC, lower case, ``&`` → ``and``, punctuation that does not carry meaning in skill
names dropped (but ``+``, ``#`` and ``.`` inside tokens kept, for C++, C#, .NET, Node.js).
"""

from __future__ import annotations

import re
import unicodedata

import ftfy

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
    """Whitespace-collapsed NFKC text with mojibake repaired by ftfy.

    Why ftfy: the data mixes UTF-8 read as Latin-1 ("â\x80¢" for a bullet, in 120 of the 166 résumés) and as
    cp1252 ("â€œ" for a quote); the hand-written repair caught only some of the first kind, and a quote from a
    résumé in an explanation showed the junk."""
    if not text:
        return ""
    text = ftfy.fix_text(text, normalization="NFKC", uncurl_quotes=False)
    return _SPACE.sub(" ", text).strip()


def slugify(text: str) -> str:
    """Stable ASCII id fragment for labels that have no id of their own (technology skills)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("c++", "cpp").replace("c#", "csharp").replace("f#", "fsharp").replace(".net", "dotnet")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


_TOKEN = re.compile(r"[a-z0-9][a-z0-9+#.]*")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens (keeps C++, C#, node.js) for lexical features."""
    return _TOKEN.findall(normalize_label(text))
