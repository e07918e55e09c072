"""The Whoosh schema: one document per paragraph; the stemmer it was built with."""

from __future__ import annotations

import pickle

import pytest

from indexer.schema import FIELD_NAMES, SEARCH_FIELDS, build_schema, schema_stemmer


@pytest.mark.parametrize("stemmer", ["snowball", "porter", "none"])
def test_the_schema_remembers_its_stemmer_through_pickling(stemmer: str) -> None:
    schema = pickle.loads(pickle.dumps(build_schema(stemmer)))  # Whoosh pickles it into the index
    assert schema_stemmer(schema) == stemmer


def test_fields() -> None:
    schema = build_schema()
    assert set(schema.names()) == FIELD_NAMES
    assert set(SEARCH_FIELDS) <= FIELD_NAMES
    assert schema["text"].stored and schema["title"].stored
    indexed = {name for name in schema.names() if schema[name].indexed}
    assert indexed == {"article_id", "title", "text", "spell"}  # the rest is in the sidecar
