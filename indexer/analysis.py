"""The analyzer: news-aware tokenizing, lowercasing, stop words and a cached NLTK stemmer.

One chain serves indexing, querying and highlighting, so a word is always cut
the same way and character offsets survive for snippets. Whoosh pickles the
analyzer into the index schema, so everything here is a module-level class or
function (no lambdas), and the stemmer is chosen by name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh.analysis import Composable, Filter, Token, Tokenizer

STOPWORDS_FILE = Path(__file__).with_name("data") / "stopwords_en.txt"

# Order matters: dotted acronyms (U.S., e.g.) and grouped numbers (2,298 / 3.5)
# before plain words, so "U.S." is one token while "dmcs.o" is two.
TOKEN_PATTERN = re.compile(
    r"(?:[^\W\d_]\.){2,}(?![^\W\d_])"  # U.S.  U.K.  e.g.
    r"|\d+(?:[.,]\d+)+"  # 2,298  3.5  1,800
    r"|\w+(?:['\u2019]\w+)*",  # words, with inner apostrophes (Kazakhstan's, don't)
    re.UNICODE,
)
_POSSESSIVE = re.compile(r"['\u2019]s$")


def load_stopwords(path: Path = STOPWORDS_FILE) -> frozenset[str]:
    """The shipped stop list (NLTK's corpus cannot be downloaded offline)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


STOPWORDS = load_stopwords()


def normalize_token(text: str) -> str:
    """Lowercase and unify one raw token: U.S. -> us, Kazakhstan's -> kazakhstan."""
    if "." in text and not text[0].isdigit():
        text = text.replace(".", "")
    elif "," in text:
        text = text.replace(",", "")  # 2,298 and 2298 are the same number
    if "'" in text or "\u2019" in text:
        text = _POSSESSIVE.sub("", text).replace("\u2019", "'")
    return text.lower()


#: The last few texts tokenized, with their tokens. Indexing reads each
#: paragraph twice (``text`` and the vocabulary count) and the title once per
#: paragraph, so remembering a handful of texts saves the regex and normalising work.
_SCANNED: dict[str, tuple[tuple[str, str, int, int], ...]] = {}
_SCANNED_MAX = 8


def _scan(value: str) -> tuple[tuple[str, str, int, int], ...]:
    """(raw, normalised, start, end) for every token of ``value`` (memoised, bounded)."""
    found = _SCANNED.get(value)
    if found is None:
        found = tuple(
            (m.group(0), normalize_token(m.group(0)), m.start(), m.end())
            for m in TOKEN_PATTERN.finditer(value)
        )
        if len(_SCANNED) >= _SCANNED_MAX:
            _SCANNED.clear()
        _SCANNED[value] = found
    return found


class NewsTokenizer(Tokenizer):
    """Regex tokenizer that keeps offsets and normalises news tokens in one pass."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        for pos, (raw, text, start, end) in enumerate(_scan(value)):
            if keeporiginal:
                t.original = raw
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


class NewsStopFilter(Filter):
    """Drops stop words and renumbers positions so phrases skip them consistently."""

    def __init__(self, stoplist: frozenset[str] | None = None) -> None:
        self.stops = STOPWORDS if stoplist is None else frozenset(stoplist)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NewsStopFilter) and self.stops == other.stops

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stops = self.stops
        pos = None
        for t in tokens:
            if t.text in stops or not t.text:
                if not t.removestops:
                    t.stopped = True
                    yield t
                continue
            if t.positions:
                pos = 0 if pos is None else pos + 1
                t.pos = pos
            yield t


@lru_cache(maxsize=1)
def _snowball() -> Any:
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english")


@lru_cache(maxsize=1)
def _porter() -> Any:
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


#: word -> stem for each NLTK stemmer: the stem cache, seeded from the index's
#: stem table (see :func:`load_stem_table`) so a search whose words are in the
#: index never imports NLTK (whose package import takes most of a second).
STEM_CACHE: dict[str, dict[str, str]] = {"snowball": {}, "porter": {}}
STEM_CACHE_MAX = 500_000
_NLTK = {"snowball": _snowball, "porter": _porter}


def _stem_nltk(stemmer: str, word: str) -> str:
    cache = STEM_CACHE[stemmer]
    if len(cache) >= STEM_CACHE_MAX:
        cache.clear()
    stemmed = cache[word] = str(_NLTK[stemmer]().stem(word))
    return stemmed


def load_stemmer(stemmer: str) -> None:
    """Import the NLTK stemmer now rather than at the first word missing from the stem table."""
    if stemmer in _NLTK:
        _NLTK[stemmer]()


def stem_snowball(word: str) -> str:
    stemmed = STEM_CACHE["snowball"].get(word)
    return stemmed if stemmed is not None else _stem_nltk("snowball", word)


def stem_porter(word: str) -> str:
    stemmed = STEM_CACHE["porter"].get(word)
    return stemmed if stemmed is not None else _stem_nltk("porter", word)


def stem_table(stemmer: str, words: Iterable[str]) -> dict[str, str]:
    """word -> stem for ``words`` (the index's vocabulary), to save beside the index."""
    fn = STEM_FUNCTIONS[stemmer]
    return {w: fn(w) for w in words}


def load_stem_table(stemmer: str, table: dict[str, str]) -> None:
    """Seed the stem cache with a saved table (entries are what NLTK returned)."""
    if stemmer in STEM_CACHE and len(STEM_CACHE[stemmer]) + len(table) < STEM_CACHE_MAX:
        STEM_CACHE[stemmer].update(table)


def stem_none(word: str) -> str:
    return word


STEM_FUNCTIONS = {"snowball": stem_snowball, "porter": stem_porter, "none": stem_none}


def stem(word: str, stemmer: str = "snowball") -> str:
    """Stem one lowercase word with the named stemmer (cached)."""
    return STEM_FUNCTIONS[stemmer](word)


class CachedStemFilter(Filter):
    """Stems with an NLTK stemmer chosen by name, so the pickled schema stays portable."""

    is_morph = True

    def __init__(self, stemmer: str = "snowball") -> None:
        if stemmer not in STEM_FUNCTIONS:
            raise ValueError(f"unknown stemmer {stemmer!r}")
        self.stemmer = stemmer

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CachedStemFilter) and self.stemmer == other.stemmer

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        fn = STEM_FUNCTIONS[self.stemmer]
        cache = STEM_CACHE.get(self.stemmer, {})
        for t in tokens:
            if not t.stopped:
                stemmed = cache.get(t.text)
                t.text = stemmed if stemmed is not None else fn(t.text)
            yield t


@lru_cache(maxsize=8)
def news_analyzer(stemmer: str = "snowball") -> Composable:
    """The analyzer for searchable text: tokens, stop words removed, stemmed."""
    chain = NewsTokenizer() | NewsStopFilter()
    if stemmer != "none":
        chain = chain | CachedStemFilter(stemmer)
    return chain


def _index_tokens(value: str, stemmer: str) -> Iterator[tuple[str, int, int]]:
    """(index term, start, end) of every word that is not a stop word, in order.

    Exactly what :func:`news_analyzer` yields (a test holds them equal), in one
    loop without a Token object per word: bulk indexing and snippets spend
    most of their analysis time in that machinery.
    """
    stops = STOPWORDS
    cache = STEM_CACHE.get(stemmer)
    fn = STEM_FUNCTIONS[stemmer]
    for _, norm, start, end in _scan(value):
        if not norm or norm in stops:
            continue
        if cache is not None:
            term = cache.get(norm)
            if term is None:
                term = fn(norm)
        else:
            term = norm
        yield term, start, end


def term_positions(value: str, stemmer: str = "snowball") -> dict[str, list[int]]:
    """Each index term of ``value`` with its positions, in first-occurrence order."""
    out: dict[str, list[int]] = {}
    for pos, (term, _, _) in enumerate(_index_tokens(value, stemmer)):
        found = out.get(term)
        if found is None:
            out[term] = [pos]
        else:
            found.append(pos)
    return out


def term_spans(
    value: str, terms: Collection[str], stemmer: str = "snowball"
) -> list[tuple[int, int]]:
    """Character spans of the words of ``value`` whose index term is in ``terms``."""
    return [(start, end) for term, start, end in _index_tokens(value, stemmer) if term in terms]


def spelling_analyzer() -> Composable:
    """Unstemmed lowercase words (the ``author`` field)."""
    return NewsTokenizer()


def words(text: str) -> list[str]:
    """The unstemmed, normalised words of ``text``, stop words included."""
    return [norm for _, norm, _, _ in _scan(text)]


def encode_counts(counts: dict[str, int]) -> str:
    """A word -> count mapping as the value of a :class:`CountsTokenizer` field."""
    return " ".join(f"{w} {n}" for w, n in counts.items() if w and not any(c.isspace() for c in w))


class CountsTokenizer(Tokenizer):
    """Reads "word count word count ..." and yields each word weighted by its count.

    The ``spell`` field holds the index's vocabulary (did-you-mean, prefix and
    fuzzy expansion, the stem table). Indexed per paragraph it was 43% of all
    postings; as one document per indexing run whose term weights are the
    counts, Whoosh keeps the same word list and frequencies for a few
    thousand postings.
    """

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        parts = value.split()
        for i in range(0, len(parts) - 1, 2):
            t.text = t.original = parts[i]
            t.boost = float(parts[i + 1])
            t.stopped = False
            if positions:
                t.pos = start_pos + i // 2
            yield t


def vocabulary_analyzer() -> Composable:
    """The analyzer of the ``spell`` field (see :class:`CountsTokenizer`)."""
    return CountsTokenizer()


def analyze(text: str, stemmer: str = "snowball") -> list[str]:
    """The index terms of ``text``, in order (handy for tests and debugging)."""
    return [t.text for t in news_analyzer(stemmer)(text)]
