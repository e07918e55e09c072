"""The seam: what it reads through Whoosh's internals equals Whoosh's public answers."""

from __future__ import annotations

import numpy as np
import whoosh

from indexer import whoosh_internals
from indexer.engine import SearchEngine


def test_pinned_release_is_the_installed_one() -> None:
    assert tuple(whoosh.__version__[:3]) == whoosh_internals.PINNED


def test_postings_arrays_equal_whooshs_matcher(engine: SearchEngine) -> None:
    with engine._searcher() as s:
        reader = s.reader().leaf_readers()[0][0]
        for text in (b"fuel", b"price", b"kazakhstan"):
            m = reader.postings("text", text)
            expected = []
            while m.is_active():
                expected.append((m.id(), m.weight()))
                m.next()
            ids, weights = whoosh_internals.postings_arrays(
                whoosh_internals.raw_postings(reader, "text", text)
            )
            assert list(zip(ids.tolist(), weights.tolist(), strict=True)) == expected
            values: list[bytes] = []
            whoosh_internals.postings_arrays(reader.postings("text", text), values)
            assert len(values) == len(expected)


def test_segments_are_copies_a_commit_may_change(engine: SearchEngine) -> None:
    from indexer import storage

    ix = storage.open_index(engine.config.index_dir)
    first = whoosh_internals.segments(ix)
    first[0].delete_document(0)
    again = whoosh_internals.segments(ix)
    assert not again[0].is_deleted(0)  # the index on disk is untouched
    assert whoosh_internals.segment_deleted(first[0]) == {0}


def test_answer_lengths_from_falls_back_to_whoosh(engine: SearchEngine) -> None:
    class Reader:
        def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
            return 7

    r = Reader()
    whoosh_internals.answer_lengths_from(r, lambda d, f: 3 if d == 0 else None)
    assert (r.doc_field_length(0, "text"), r.doc_field_length(1, "text")) == (3, 7)
    assert np.asarray([1]).size == 1
