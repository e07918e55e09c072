"""Reuters-21578 SGML: fields, datelines, trailers, the corpus itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.formats import Scan, read_file

from .conftest import corpora_dir, read_folder, write

REUTERS_SGML = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="1">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>cocoa</D></TOPICS>
<PLACES><D>el-salvador</D><D>usa</D><D>uruguay</D></PLACES>
<PEOPLE></PEOPLE>
<ORGS></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN> 
&#5;&#5;&#5;C T
&#22;&#22;&#1;f0704&#31;reute
u f BC-BAHIA-COCOA-REVIEW   02-26 0105</UNKNOWN>
<TEXT>&#2;
<TITLE>BAHIA COCOA REVIEW</TITLE>
<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers continued throughout the week in
the Bahia cocoa zone, alleviating the drought since early
January and improving prospects for the coming temporao.
    The dry period means the temporao will be late this year.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5545" NEWID="2">
<DATE> 2-MAR-1987 08:22:50.41&#5;&#5;&#5;RM</DATE>
<TOPICS></TOPICS>
<PLACES><D>turkey</D><D>iraq</D></PLACES>
<TEXT>&#2;
<TITLE>PIPELINE REPAIRED</TITLE>
<DATELINE>    ANKARA, March 8 - Engineers are working to repair the Iraq-</DATELINE><BODY>Turkey oil pipeline near
the southern town of Adana.
 REUTER
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="3">
<DATE>NOT-A-DATE</DATE>
<TEXT TYPE="BRIEF">&#2;
<TITLE>BRIEF ITEM</TITLE>
&#3;</TEXT>
</REUTERS>
"""


def test_reuters_fields_from_an_sgml_excerpt(tmp_path: Path) -> None:
    write(tmp_path, "reut2-000.sgm", REUTERS_SGML)
    articles, scan = read_folder(tmp_path)
    first, second, brief = articles["reut2-000#1"], articles["reut2-000#2"], articles["reut2-000#3"]
    assert (first.title, first.date, first.source) == (
        "BAHIA COCOA REVIEW",
        "1987-02-26",
        "Reuters",
    )
    assert first.dateline == "SALVADOR, Feb 26"
    assert first.topics == ("cocoa",)
    assert first.places == ("el-salvador", "usa", "uruguay")
    assert first.body.startswith("Showers continued")
    assert first.body.endswith("\n\nReuter")
    # A dateline that swallowed the story's first words gives them back to the body.
    assert second.dateline == "ANKARA, March 8"
    assert second.body.startswith("Engineers are working to repair the Iraq-Turkey oil pipeline")
    assert (second.date, second.topics, second.places) == ("1987-03-02", (), ("turkey", "iraq"))
    assert brief.date is None and brief.dateline is None
    assert [w.reason for w in scan.warnings] == [
        "unparseable date 'NOT-A-DATE' in reut2-000#3; indexed without a date"
    ]


@pytest.mark.corpora
def test_reuters_corpus_file_fields() -> None:
    root = corpora_dir("reuters21578")
    scan = Scan()
    articles = read_file(root / "reut2-000.sgm", root, scan)
    assert len(articles) > 900 and scan.skipped == [] and scan.warnings == []
    by_id = {a.id: a for a in articles}
    first = by_id["reut2-000#1"]
    assert (first.title, first.date, first.dateline) == (
        "BAHIA COCOA REVIEW",
        "1987-02-26",
        "SALVADOR, Feb 26",
    )
    assert (first.topics, first.places) == (("cocoa",), ("el-salvador", "usa", "uruguay"))
    dated = [a.date for a in articles if a.date]
    assert len(dated) == len(articles)
    assert all("1987-02-01" <= d <= "1987-10-31" for d in dated)
    assert sum(1 for a in articles if a.dateline) > 900
    assert not any(a.dateline and a.dateline.endswith("-") for a in articles)
    assert sum(1 for a in articles if a.topics) > 500
