"""The query language: text in, a Whoosh query tree (and the terms to highlight) out.

Strict parsing raises QueryError naming what to fix; lenient parsing (the
default) retries a query that does not parse as plain words and says so.
Prefix, wildcard and fuzzy words expand against the index's own vocabulary;
short queries rank paragraphs holding every word first. Spelling suggestions
(did you mean) come from the same vocabulary.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.qparser import (
    FuzzyTermPlugin,
    MultifieldParser,
    OrGroup,
    PlusMinusPlugin,
)
from whoosh.searching import Searcher

from . import whoosh_internals
from .analysis import TOKEN_PATTERN, analyze, normalize_token, stem
from .config import IndexConfig
from .errors import QueryError
from .filters import FILTER_NAMES
from .schema import SEARCH_FIELDS

#: Fields a user may name in a query (``title:word``), and the filters; others are refused.
QUERY_FIELDS = frozenset({"title", "text", "article_id", *FILTER_NAMES})
#: All-words paragraphs get this much extra weight so they always rank first.
ALL_TERMS_BOOST = 1000.0
_FIELD_REF = re.compile(r"(?:^|[\s(])([A-Za-z_]\w*):")


@dataclass(frozen=True)
class ParsedQuery:
    query: wq.Query
    terms: frozenset[str]  # analysed terms to highlight
    notice: str | None


def _parser(searcher: Searcher, config: IndexConfig) -> MultifieldParser:
    parser = MultifieldParser(
        list(SEARCH_FIELDS),
        searcher.schema,
        fieldboosts={"title": config.title_boost, "text": 1.0},
        group=OrGroup,
    )
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(PlusMinusPlugin(minusexpr=r"(?<![^\s(])-(?=[^\s-])"))
    return parser


#: Deeper nesting than this is refused: no reader needs it and it costs recursion.
MAX_NESTING = 20
#: Wildcards need this many literal letters first: `a*` or `*ing` would scan the vocabulary.
MIN_WILDCARD_PREFIX = 2
_WILDCARD_WORD = re.compile(r'(?<![^\s(])([^\s"()]*[*?][^\s"()]*)')
#: Fuzzy matching beyond two edits matches almost anything and is slow.
MAX_FUZZY_EDITS = 2


def check_syntax(text: str, max_terms: int = 200) -> None:
    """Raise QueryError naming what to fix in a query string."""
    if len(text.split()) > max_terms:
        raise QueryError(
            f"the query has {len(text.split())} words; the limit is {max_terms}: "
            "keep the distinctive ones"
        )
    if text.count('"') % 2:
        raise QueryError('unbalanced quote: close the "phrase" with a second " or remove it')
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            raise QueryError("a ) has no matching (: remove it or add the opening bracket")
        if depth > MAX_NESTING:
            raise QueryError(f"brackets nest deeper than {MAX_NESTING} levels: simplify the query")
    if depth:
        raise QueryError("a ( is never closed: add the ) or remove it")
    for name in _FIELD_REF.findall(text):
        if name.lower() not in QUERY_FIELDS:
            raise QueryError(
                f"unknown field {name!r}: use one of {', '.join(sorted(QUERY_FIELDS))}, "
                "or put the words in quotes"
            )
    for m in _WILDCARD_WORD.finditer(text):
        literal = re.split(r"[*?]", m.group(1).split(":")[-1], maxsplit=1)[0]
        if len(literal) < MIN_WILDCARD_PREFIX:
            raise QueryError(
                f"{m.group(1)!r} would match too many words: put at least {MIN_WILDCARD_PREFIX} "
                "letters before * or ?"
            )
    stripped = text.strip()
    if re.search(r"(?:^|\s)(AND|OR|NOT|ANDNOT|ANDMAYBE)\s*$", stripped) or re.match(
        r"^(AND|OR|ANDNOT|ANDMAYBE)\b", stripped
    ):
        raise QueryError("an AND/OR/NOT needs a word on each side: add one or remove the operator")


def plain_words(text: str) -> str:
    """The query reduced to its words, for the lenient retry."""
    return " ".join(m.group(0) for m in TOKEN_PATTERN.finditer(text))


_FUZZY = re.compile(r"([^\s~\"():*?]+)~")


def _fuzzy_originals(text: str, stemmer: str) -> dict[str, str]:
    """Stemmed form -> the word as typed, for each ``word~`` (the parser stems it first)."""
    out = {}
    for m in _FUZZY.finditer(text):
        word = normalize_token(m.group(1))
        out[stem(word, stemmer)] = word
    return out


def _expand(
    searcher: Searcher, node: wq.Query, config: IndexConfig, originals: dict[str, str]
) -> wq.Query:
    """Prefix, wildcard and fuzzy terms expand against the unstemmed vocabulary, then stem.

    Whoosh would otherwise match them against stems, where ``protesters*`` or
    ``protestors~`` find nothing. Expansions are capped (most frequent first).
    """
    if isinstance(node, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)) and node.fieldname in SEARCH_FIELDS:
        reader = searcher.reader()
        word = node.text.lower()
        if isinstance(node, wq.FuzzyTerm):
            word = originals.get(word, word)
            maxdist = min(node.maxdist, MAX_FUZZY_EDITS, max(1, len(word) // 3))
            words = list(reader.terms_within("spell", word, maxdist, max(1, node.prefixlength)))
        else:
            pattern = (
                wq.Wildcard("spell", word)
                if isinstance(node, wq.Wildcard)
                else wq.Prefix("spell", word)
            )
            words = []
            for w in whoosh_internals.pattern_terms(pattern, reader):
                words.append(w.decode("utf-8") if isinstance(w, bytes) else w)
                if len(words) >= config.max_expansions * 50:
                    break
        words.sort(key=lambda w: -reader.frequency("spell", w))
        stems = sorted(
            {stem(normalize_token(w), config.stemmer) for w in words[: config.max_expansions]}
        )
        if not stems:
            return wq.NullQuery
        return wq.Or([wq.Term(node.fieldname, s, boost=node.boost) for s in stems])
    if isinstance(node, wq.Every) or (
        isinstance(node, wq.Wildcard) and node.fieldname not in SEARCH_FIELDS
    ):
        return node
    if node.is_leaf():
        return node
    return node.apply(lambda child: _expand(searcher, child, config, originals))


def _all_terms_first(node: wq.Query, config: IndexConfig) -> wq.Query:
    """For short queries, paragraphs with every word outrank those with only some.

    Runs on the parser's unnormalised tree, where each word is still its own
    group (title OR text): all words together get a large boost, so the
    coordination is strict while BM25 still orders paragraphs within each tier.
    """
    if isinstance(node, wq.AndNot):
        return wq.AndNot(_all_terms_first(node.a, config), node.b)
    if isinstance(node, wq.Or):
        words = [q for q in node.subqueries if not isinstance(q, wq.Not) and q is not wq.NullQuery]
        if 2 <= len(words) <= config.all_terms_first_max:
            return wq.Or([wq.And(words, boost=ALL_TERMS_BOOST), node])
    return node


def _count_repeats(node: wq.Query) -> wq.Query:
    """A word repeated in an OR query counts that many times (as in Lucene's BM25).

    Whoosh would drop the repeats when normalising; long natural-language
    queries ("titles ... titles ... titles") lean on them. Runs on the
    unnormalised tree, where each word is its own (title OR text) group, so
    two forms with one stem (``title``/``titles``) are equal groups.
    """
    if isinstance(node, wq.AndNot):
        return wq.AndNot(_count_repeats(node.a), node.b)
    if isinstance(node, wq.Or) and len(node.subqueries) > 1:
        merged: list[wq.Query] = []
        counts: list[int] = []
        for q in node.subqueries:
            if q in merged and not isinstance(q, wq.Not) and q is not wq.NullQuery:
                counts[merged.index(q)] += 1
            else:
                merged.append(q)
                counts.append(1)
        if len(merged) < len(node.subqueries):
            words = []
            for q, n in zip(merged, counts, strict=True):
                if n > 1:
                    q = copy.copy(q)
                    q.boost = q.boost * n
                words.append(q)
            return node.__class__(words, boost=node.boost)
    return node


def positive_terms(node: wq.Query) -> set[str]:
    """Analysed terms worth highlighting: not those under NOT."""
    out: set[str] = set()
    if isinstance(node, wq.Not):
        return out
    if isinstance(node, wq.AndNot):
        return positive_terms(node.a)
    if node.is_leaf():
        for fieldname, text in node.terms(phrases=True) if node.has_terms() else ():
            if fieldname in SEARCH_FIELDS:
                out.add(text.decode("utf-8") if isinstance(text, bytes) else str(text))
        return out
    for child in node.children():
        out |= positive_terms(child)
    return out


_LETTERS = re.compile(r"[^\W\d_]+")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})


def plain_tree(text: str, config: IndexConfig) -> wq.Query | None:
    """The parser's unnormalised tree for a query of plain words, built directly; else None.

    Most queries are a few words; Whoosh's parser takes longer over them than
    scoring does. A test holds this tree equal to the parser's.
    """
    words = text.split()
    if not words or len(words) > config.max_query_terms:
        return None
    groups: list[wq.Query] = []
    for word in words:
        if word in _OPERATORS or not _LETTERS.fullmatch(word):
            return None
        terms = analyze(word, config.stemmer)
        if len(terms) > 1:
            return None
        groups.append(
            wq.Or(
                [
                    wq.Term("title", terms[0], boost=config.title_boost),
                    wq.Term("text", terms[0], boost=1.0),
                ]
            )
            if terms
            else wq.Or([])
        )
    return wq.Or(groups)


def parse(searcher: Searcher, text: str, config: IndexConfig, strict: bool = False) -> ParsedQuery:
    """Parse ``text``; strict raises QueryError, lenient retries as plain words with a notice."""
    notice = None
    try:
        check_syntax(text, config.max_query_terms)
        raw = text
    except QueryError as exc:
        if strict:
            raise
        raw = " ".join(plain_words(text).split()[: config.max_query_terms])
        notice = f"Your query was read as plain words because {exc}."
    fast = plain_tree(raw, config)
    try:
        q = fast if fast is not None else _parser(searcher, config).parse(raw, normalize=False)
    except Exception as exc:  # the whoosh parser signals bad input with many types
        if strict:
            raise QueryError(
                f"cannot parse the query ({exc}); check quotes and operators"
            ) from None
        raw = " ".join(plain_words(text).split()[: config.max_query_terms])
        try:
            q = _parser(searcher, config).parse(raw, normalize=False)
        except Exception:
            q = wq.NullQuery
        notice = "Your query was read as plain words because it could not be parsed."
    originals = _fuzzy_originals(raw, config.stemmer) if "~" in raw else {}
    q = _expand(
        searcher, _all_terms_first(_count_repeats(q), config), config, originals
    ).normalize()
    return ParsedQuery(q, frozenset(positive_terms(q)), notice)


def correct_word(searcher: Searcher, word: str) -> str | None:
    """The closest known word (fewest edits, then most frequent), or None."""
    reader = searcher.reader()
    for maxdist in (1, 2):
        # prefix=1: first-letter typos are rare, and it makes the scan ~20x cheaper
        found = [w for w in reader.terms_within("spell", word, maxdist, prefix=1) if w != word]
        if found:
            best: str = max(found, key=lambda w: (reader.frequency("spell", w), w))
            return best
    return None


def suggest(searcher: Searcher, text: str) -> str | None:
    """A corrected query from the index's own vocabulary, or None if every word is known."""
    reader = searcher.reader()
    changed = False
    out: list[str] = []
    pos = 0
    for m in re.finditer(r"(?<![\w:*?~])[^\W\d_]{3,}(?![\w:*?~])", text):
        word = m.group(0)
        out.append(text[pos : m.start()])
        pos = m.end()
        lower = word.lower()
        fixed = None
        if word not in ("AND", "OR", "NOT") and not reader.frequency("spell", lower):
            fixed = correct_word(searcher, lower)
        out.append(fixed or word)
        changed = changed or fixed is not None
    out.append(text[pos:])
    return "".join(out) if changed else None


def _only_words(node: wq.Query) -> bool:
    """True for an OR of words (as typed, repeated, expanded or all-terms-first boosted)."""
    if isinstance(node, wq.Term) or node is wq.NullQuery:
        return True
    if isinstance(node, wq.Or) or (isinstance(node, wq.And) and node.boost == ALL_TERMS_BOOST):
        return all(_only_words(child) for child in node.children())
    return False


_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


def is_plain(text: str) -> bool:
    """Words only, as a reader types them: no field, phrase, wildcard, fuzzy, sign or operator.

    Search by meaning adds paragraphs to such a query; a query with syntax is a
    constraint, and its matches are only re-ranked.
    """
    words = text.split()
    return plain_words(text).split() == words and not _OPERATORS.intersection(words)


def terms_query(weights: dict[str, float], config: IndexConfig) -> wq.Query:
    """An OR of weighted index terms (already analysed), each in the title and the text."""
    return wq.Or(
        [
            wq.Or([wq.Term("title", t, boost=w * config.title_boost), wq.Term("text", t, boost=w)])
            for t, w in sorted(weights.items())
        ]
    )


def expand_query(q: wq.Query, expansion: dict[str, float], config: IndexConfig) -> wq.Query:
    """``q`` plus weighted expansion terms (index terms, already analysed) in title and text.

    An OR of words simply gains the terms; a query with constraints (NOT, +,
    phrases, AND) keeps its matches and the terms only reorder them.
    """
    extra = terms_query(expansion, config)
    return wq.Or([q, extra]) if _only_words(q) else wq.AndMaybe(q, extra)
