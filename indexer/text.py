"""The one Unicode form of text: documents as read, and queries as typed.

A document and a query must reach the analyzer as the same string for the
same words: "Mit\u00adtel\u00adal\u00adter" (soft hyphens) is Mittelalter, an
"é" typed as e + combining accent is the precomposed one.
"""

from __future__ import annotations

import re
import unicodedata

#: Characters removed from all text: control characters (C0 but tab and newline,
#: DEL, C1), soft hyphens (U+00AD), zero-width no-break spaces (a BOM inside
#: text) and word joiners.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\ufeff\u2060]")


def clean_text(text: str) -> str:
    """Text as Byline stores, indexes, highlights and shows it: one string for all three.

    Line endings become ``\\n``; control characters, soft hyphens and other
    invisible format characters are removed; the text is Unicode NFC.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text
