"""Test documents shared by several test modules: hostile files, and a small dated news archive."""

from __future__ import annotations

import json
import random
from pathlib import Path

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
XSS_URL = "javascript:alert(1)"

XSS_FILES = {
    "xss.txt": (
        f"Zanzibar {XSS_SCRIPT} headline\n\n"
        f"The zanzibar ferry paragraph mentions {XSS_SCRIPT} and {XSS_IMG} in its text.\n\n"
        f"A second zanzibar paragraph links to {XSS_URL} and [click](javascript:alert(2)).\n"
    ),
    "meta.json": json.dumps(
        {
            "id": "meta-xss",
            "title": f"Quokka {XSS_IMG}",
            "body": "The quokka story has a hostile url and author.",
            "url": XSS_URL,
            "author": XSS_SCRIPT,
            "source": XSS_IMG,
        }
    ),
    "multi.json": json.dumps(
        [
            {"title": "Wombat one", "body": "The first wombat record."},
            {"title": "Wombat two", "body": "The second wombat record."},
        ]
    ),
}


WIRE = (
    "Oil prices rose sharply on Monday as traders worried about supply from the Gulf.\n\n"
    "Analysts said the rally in crude could last into the spring, lifting pump prices.\n"
)


def front(title: str, body: str, **meta: str) -> str:
    lines = [f"{k}: {v}" for k, v in meta.items()]
    return "---\n" + f"title: {title}\n" + "\n".join(lines) + "\n---\n" + body


NEWS = {
    "cbc-oil.md": front(
        "Oil prices jump on supply fears",
        WIRE,
        date="2022-01-03",
        source="CBC",
        section="business",
        author="Jane Smith",
        url="https://example.com/cbc/oil",
        places="[canada]",
    ),
    "reuters-oil.md": front(
        "Crude rallies as traders fret",
        WIRE,
        date="2022-01-04",
        source="Reuters",
        section="business",
        places="[usa]",
    ),
    "ap-oil.md": front(
        "Oil climbs on Gulf worries",
        WIRE,
        date="2022-01-05",
        source="AP",
        section="business",
        places="[usa]",
    ),
    "bbc-politics.md": front(
        "MPs debate fuel duty",
        "Members of parliament debated oil prices and fuel duty for three hours.\n\n"
        "The minister said pump prices would be watched closely.\n",
        date="2022-02-14",
        source="BBC",
        section="politics",
        author="Tom Brown",
        url="javascript:alert(1)",
    ),
    "guardian-2021.md": front(
        "Heating bills climb as winter nears",
        "Households face higher heating bills as oil and gas prices climb before winter.\n",
        date="2021-11-20",
        source="Guardian",
        section="business",
    ),
    "cbc-hockey.md": front(
        "Oilers win in overtime",
        "The Edmonton Oilers beat Calgary in overtime on Saturday.\n",
        date="2022-01-08",
        source="CBC",
        section="sport",
    ),
    "hostile.md": front(
        f"Oil {XSS_SCRIPT} headline",
        "A hostile oil prices story with odd metadata.\n",
        date="2022-03-01",
        source=XSS_SCRIPT,
        section="'" + XSS_IMG + "'",
    ),
}


#: Words for generated stories (stop words among them, so positions skip some).
WORDS = [
    "oil",
    "price",
    "market",
    "bank",
    "rate",
    "growth",
    "energy",
    "minister",
    "election",
    "court",
    "film",
    "music",
    "strike",
    "shares",
    "profit",
    "export",
    "crude",
    "supply",
    "demand",
    "talks",
    "deal",
    "the",
    "of",
    "said",
]


def random_story(rng: random.Random, n: int) -> str:
    title = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize()
    paragraphs = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40))).capitalize() + "."
        for _ in range(rng.randint(2, 6))
    ]
    return f"{title} {n}\n\n" + "\n\n".join(paragraphs) + "\n"


def write_edition(folder: Path, edition: int, n: int = 150, filler: int = 0) -> None:
    """``n`` small stories whose text starts with ``Edition<edition>``: one edition of an archive.

    ``filler`` words of a second paragraph make the files larger (about 7 bytes a word).
    """
    rest = " ".join(WORDS[i % len(WORDS)] for i in range(filler)) if filler else "Second part."
    for i in range(n):
        path = folder / f"{i % 7}" / f"{i:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Story {i}\n\nEdition{edition} paragraph one about cargo {i}.\n\n{rest}\n")
