"""Benchmark corpora: a scaled copy of Reuters-21578 and BBC News in a temp folder.

Byline reads the copy with its own readers (``.sgm`` for Reuters, ``.txt`` for
BBC). The shared corpora are read-only; everything here writes to ``dst``.
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
_REUTERS_DOC = re.compile(r"<REUTERS\b.*?</REUTERS>", re.S)
_NEWID = re.compile(r'NEWID="(\d+)"')


def make_source(dst: Path, corpus: str, fraction: float) -> dict[str, int]:
    """Copy the first ``fraction`` of each corpus into ``dst``; returns file/byte counts."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    files = nbytes = 0
    if corpus in ("reuters", "both"):
        src = CORPORA / "reuters21578"
        out = dst / "reuters"
        out.mkdir()
        want, got = round(21578 * fraction), 0
        for path in sorted(src.glob("reut2-*.sgm")):
            if got >= want:
                break
            data = path.read_bytes()
            if got + 1000 <= want:  # whole file: byte-exact copy
                (out / path.name).write_bytes(data)
                got += data.count(b"<REUTERS ")
            else:  # the first documents of the last file
                text = data.decode("latin-1")
                docs = _REUTERS_DOC.findall(text)[: want - got]
                got += len(docs)
                data = ("\n".join(docs) + "\n").encode("latin-1")
                (out / path.name).write_bytes(data)
            files += 1
            nbytes += len(data)
    if corpus in ("bbc", "both"):
        for cat in sorted(p for p in (CORPORA / "bbc").iterdir() if p.is_dir()):
            texts = sorted(cat.glob("*.txt"))
            (dst / "bbc" / cat.name).mkdir(parents=True)
            for path in texts[: round(len(texts) * fraction)]:
                shutil.copyfile(path, dst / "bbc" / cat.name / path.name)
                files += 1
                nbytes += path.stat().st_size
    return {"files": files, "bytes": nbytes}


def touch_articles(src: Path, share: float, seed: int) -> int:
    """Change ``share`` of the articles under ``src`` in place (a new last paragraph).

    BBC: one file per article. Reuters: many articles per file; only the chosen
    <REUTERS> elements change, so only their content hashes change.
    """
    rnd = random.Random(seed)
    changed = 0
    note = f"Correction {seed}: this article was updated after publication."
    bbc = sorted(src.glob("bbc/*/*.txt"))
    for path in rnd.sample(bbc, max(1, round(len(bbc) * share))) if bbc else []:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        path.write_bytes((text.rstrip("\n") + f"\n\n{note}\n").encode("utf-8", "surrogateescape"))
        changed += 1
    sgm = sorted(src.glob("reuters/*.sgm"))
    ids: list[tuple[Path, str]] = []
    for path in sgm:
        ids += [(path, m) for m in _NEWID.findall(path.read_bytes().decode("latin-1"))]
    chosen: dict[Path, set[str]] = {}
    for path, newid in rnd.sample(ids, max(1, round(len(ids) * share))) if ids else []:
        chosen.setdefault(path, set()).add(newid)
    for path, wanted in chosen.items():
        text = path.read_bytes().decode("latin-1")

        def edit(m: re.Match[str], wanted: set[str] = wanted) -> str:
            nonlocal changed
            doc = m.group(0)
            newid = _NEWID.search(doc)
            if not newid or newid.group(1) not in wanted:
                return doc
            changed += 1
            if "</BODY>" in doc:
                return doc.replace("</BODY>", f"\n    {note}\n</BODY>", 1)
            return doc.replace("</TEXT>", f"\n    {note}\n</TEXT>", 1)

        path.write_bytes(_REUTERS_DOC.sub(edit, text).encode("latin-1"))
    return changed


def paragraphs(src: Path) -> Iterator[dict[str, object]]:
    """The searchable paragraphs Byline indexes, read with Byline's own readers.

    The baselines index exactly these (title, text) pairs.
    """
    from dataclasses import replace

    from indexer.formats import Scan, read_file
    from indexer.formats import walk as iter_files
    from indexer.paragraphs import split_paragraphs
    from indexer.schema import documents

    scan = Scan()
    root = src.resolve()
    for path in iter_files(root, scan):
        for article in read_file(path, root, scan):
            article = replace(article, paragraphs=split_paragraphs(article))
            for doc in documents(article):
                if doc.get("text"):
                    yield {
                        "article_id": doc["article_id"],
                        "paragraph_no": doc["paragraph_no"],
                        "title": doc["title"],
                        "text": doc["text"],
                    }
