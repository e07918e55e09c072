"""Evaluation: collection readers on inline excerpts, metrics on hand-worked cases, one real run."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.evaluation import (
    average_precision,
    mean_metrics,
    ndcg_at,
    precision_at,
    query_text,
    read_collection,
    recall_at,
    sentence_windows,
    smart_records,
    time_rel_id,
    trec_run_lines,
    write_documents,
)

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"

TIME_ALL = """*TEXT 017 01/04/63 PAGE 020

THE ALLIES AFTER NASSAU IN DECEMBER 1960, THE U.S . FIRST

PROPOSED TO HELP NATO . BUT EUROPE MADE NO PLAN . LAST WEEK, THEY

STUDIED THE ACCORD .

*TEXT 503  11/15/63  PAGE 045

SOUTH VIET NAM : THE BUDDHIST MONKS PROTESTED . DIEM REFUSED .

*STOP
"""
TIME_QUE = """*FIND      1

 KENNEDY ADMINISTRATION PRESSURE ON NGO DINH DIEM TO STOP

SUPPRESSING THE BUDDHISTS .

*FIND     46

 NATO (NUCLEAR) "STRIKE" FORCE: NOT-YET AGREED .
"""
TIME_REL = """1  2 380

46   1
"""
CACM_ALL = """.I 1
.T
Preliminary Report-International Algebraic Language
.B
CACM December, 1958
.A
Perlis, A. J.
Samelson,K.
.N
CA581203 JB March 22, 1978  8:28 PM
.X
100\t5\t1
.I 2
.T
Extraction of Roots by Repeated Subtractions
.W
A method for extracting roots
by subtraction.
.B
CACM December, 1958
"""
CACM_QRY = """.I 1
.W
 What articles exist which deal with TSS (Time Sharing System)?
.N
 1. Richard Alexander
.I 0
"""
CACM_REL = "01 2  0 0\n01 1  0 0\n"
CISI_ALL = """.I 1
.T
18 Editions of the Dewey Decimal Classifications
.A
Comaromi, J.P.
.W
   The present study is a history of the DEWEY Decimal
Classification.
.X
1\t5\t1
"""
CISI_QRY = """.I 1
.W
What problems and concerns are there in making up descriptive titles?
.I 2
.T
Dewey
.W
Classification history.
"""
CISI_REL = "     1      1\t0\t0.000000\n"


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="latin-1")
    return folder


def test_time_reader_maps_ordinals_and_builds_sentence_windows(tmp_path: Path) -> None:
    c = read_collection(
        write(tmp_path / "time", {"TIME.ALL": TIME_ALL, "TIME.QUE": TIME_QUE, "TIME.REL": TIME_REL})
    )
    assert c.name == "TIME"
    assert [d.id for d in c.documents] == ["1", "2"]
    assert c.documents[0].title == "THE ALLIES AFTER NASSAU IN DECEMBER 1960, THE U.S . FIRST"
    assert all("*TEXT" not in p and "*STOP" not in p for d in c.documents for p in d.paragraphs)
    assert c.queries["1"].startswith("KENNEDY ADMINISTRATION") and "BUDDHISTS" in c.queries["1"]
    assert set(c.queries) == {"1", "46"}
    assert c.qrels == {"1": {"2", "380"}, "46": {"1"}}
    assert c.judged == ["1", "46"]


def test_time_rel_ids_skip_the_two_lost_records() -> None:
    assert [time_rel_id(r) for r in (1, 370, 371, 377, 422, 423)] == [
        "1",
        "370",
        "373",
        "379",
        "424",
        "425",
    ]


def test_sentence_windows_group_consecutive_sentences() -> None:
    text = "ONE . TWO ? THREE ! FOUR . FIVE"
    assert sentence_windows(text, 2) == ["ONE . TWO ?", "THREE ! FOUR .", "FIVE"]


def test_cacm_reader(tmp_path: Path) -> None:
    c = read_collection(
        write(
            tmp_path / "cacm",
            {"cacm.all": CACM_ALL, "query.text": CACM_QRY, "qrels.text": CACM_REL},
        )
    )
    assert c.name == "CACM"
    first, second = c.documents
    assert first.title == "Preliminary Report-International Algebraic Language"
    assert first.paragraphs == ["Perlis, A. J.; Samelson,K."]  # no abstract: authors only
    assert second.paragraphs == ["A method for extracting roots by subtraction."]
    assert list(c.queries) == ["1"]  # the .I 0 sentinel is dropped
    assert c.qrels == {"1": {"1", "2"}}


def test_cisi_reader_uses_title_and_text_of_queries(tmp_path: Path) -> None:
    c = read_collection(
        write(tmp_path / "cisi", {"CISI.ALL": CISI_ALL, "CISI.QRY": CISI_QRY, "CISI.REL": CISI_REL})
    )
    assert c.documents[0].paragraphs[0].startswith("The present study is a history")
    assert c.documents[0].paragraphs[1] == "Comaromi, J.P."
    assert c.queries["2"] == "Dewey Classification history."
    assert c.qrels == {"1": {"1"}}
    assert c.judged == ["1"]


def test_smart_records_keep_tag_lines_apart_from_text() -> None:
    records = smart_records(".I 7\n.T\nA .Title\n.W\n.5 percent\n")
    assert records == [("7", {"T": "A .Title", "W": ".5 percent"})]


def test_unknown_folder_is_a_clear_error(tmp_path: Path) -> None:
    from indexer.errors import BylineError

    with pytest.raises(BylineError, match=r"TIME\.ALL, cacm\.all or CISI\.ALL"):
        read_collection(tmp_path)


def test_query_text_is_plain_lowercase_words() -> None:
    assert query_text('NATO (NUCLEAR) "STRIKE" FORCE: NOT-YET AGREED .') == (
        "nato nuclear strike force not yet agreed"
    )


def test_write_documents_one_txt_per_document(tmp_path: Path) -> None:
    c = read_collection(
        write(
            tmp_path / "cacm",
            {"cacm.all": CACM_ALL, "query.text": CACM_QRY, "qrels.text": CACM_REL},
        )
    )
    write_documents(c, tmp_path / "out")
    assert (tmp_path / "out" / "2.txt").read_text(encoding="utf-8") == (
        "Extraction of Roots by Repeated Subtractions\n\n"
        "A method for extracting roots by subtraction.\n"
    )


# --- metrics: hand-worked cases (trec_eval definitions) ---------------------


def test_average_precision_hand_worked() -> None:
    # relevant at ranks 1 and 3, a third relevant never retrieved: (1/1 + 2/3) / 3
    assert average_precision(["a", "x", "b", "y"], {"a", "b", "c"}) == pytest.approx(
        (1 + 2 / 3) / 3
    )
    assert average_precision([], {"a"}) == 0.0


def test_precision_and_recall_at_k() -> None:
    ranking = ["a", "x", "b"]
    assert precision_at(ranking, {"a", "b"}, 10) == pytest.approx(0.2)  # divides by k, not by 3
    assert recall_at(ranking, {"a", "b", "c", "d"}, 2) == pytest.approx(0.25)


def test_ndcg_hand_worked() -> None:
    # relevant at ranks 2 and 3, two relevant: (1/log2 3 + 1/log2 4) / (1 + 1/log2 3)
    expected = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert ndcg_at(["x", "a", "b"], {"a", "b"}, 10) == pytest.approx(expected)
    assert ndcg_at(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)


def test_mean_metrics_counts_unanswered_queries_as_zero() -> None:
    m = mean_metrics({"1": ["a"]}, {"1": {"a"}, "2": {"b"}, "3": set()})
    assert m["map"] == pytest.approx(0.5)  # query 3 has no relevant documents: not averaged
    assert m["p@10"] == pytest.approx(0.05)


def test_metrics_agree_with_trec_eval() -> None:
    pytrec_eval = pytest.importorskip("pytrec_eval", reason="pytrec-eval-terrier is not installed")
    run = {"1": ["d3", "d1", "d7", "d2", "d9"], "2": ["d5", "d4"]}
    qrels = {"1": {"d1", "d2", "d8"}, "2": {"d4"}}
    ours = mean_metrics(run, qrels)
    ev = pytrec_eval.RelevanceEvaluator(
        {q: {d: 1 for d in rel} for q, rel in qrels.items()},
        {"map", "ndcg_cut.10", "P.10", "recall.100"},
    )
    scores = ev.evaluate(
        {q: {d: float(len(r) - i) for i, d in enumerate(r)} for q, r in run.items()}
    )
    for ours_name, theirs in (
        ("map", "map"),
        ("ndcg@10", "ndcg_cut_10"),
        ("p@10", "P_10"),
        ("recall@100", "recall_100"),
    ):
        assert ours[ours_name] == pytest.approx(sum(s[theirs] for s in scores.values()) / 2)


def test_trec_run_lines() -> None:
    assert trec_run_lines({"3": [("d1", 2.5), ("d2", 1.0)]}) == [
        "3 Q0 d1 1 2.500000 byline",
        "3 Q0 d2 2 1.000000 byline",
    ]


# --- a real collection, end to end ----------------------------------------


def test_evaluate_command_on_an_excerpt(tmp_path: Path) -> None:
    import json

    from manage import cli

    folder = write(
        tmp_path / "cisi",
        {
            "CISI.ALL": CISI_ALL
            + """.I 2
.T
Use Made of Technical Libraries
.W
A study of how engineers use technical libraries.
""",
            "CISI.QRY": CISI_QRY,
            "CISI.REL": CISI_REL + "     2      1\t0\t0.000000\n",
        },
    )
    run_file = tmp_path / "out.run"
    result = CliRunner().invoke(
        cli, ["evaluate", str(folder), "--json", "--run-file", str(run_file)]
    )
    assert result.exit_code == 0, result.output
    m = json.loads(result.output)["CISI"]
    assert m["queries"] == 2 and m["documents"] == 2
    assert m["map"] == pytest.approx(0.5)  # query 2 (Dewey) finds document 1; query 1 finds nothing
    assert run_file.read_text(encoding="utf-8").split("\n")[0].split()[:4] == ["2", "Q0", "1", "1"]


@pytest.mark.corpora
def test_time_collection_scores_in_a_sane_band() -> None:
    time_dir = CORPORA / "time"
    if not time_dir.is_dir():
        pytest.skip(f"{time_dir} is absent: this test needs the shared evaluation corpora")
    from indexer.evaluation import evaluate_collection

    collection = read_collection(time_dir)
    collection.queries = {q: collection.queries[q] for q in collection.judged[:25]}
    m = evaluate_collection(collection, depth=100).metrics
    assert 0.5 <= m["map"] <= 0.95
    assert 0.55 <= m["ndcg@10"] <= 1.0
    assert 0.85 <= m["recall@100"] <= 1.0


# --- query expansion (RM3) ---------------------------------------------------


def test_evaluate_command_with_expansion(tmp_path: Path) -> None:
    import json

    from manage import cli

    folder = write(
        tmp_path / "cisi", {"CISI.ALL": CISI_ALL, "CISI.QRY": CISI_QRY, "CISI.REL": CISI_REL}
    )
    result = CliRunner().invoke(cli, ["evaluate", str(folder), "--json", "--expand"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["CISI"]["expand"] is True
