"""The search analyzer: one way to turn text into index terms, for messages and queries alike.

Pure Python and app-free, so the send batch, the search selector, the backfill command
and the benchmark all analyse text the same way, and each database only stores and
matches the terms (PostgreSQL: a GIN index over them; SQLite: FTS5; MariaDB: a scan).

Folding (done once, before tokenising): NFKC (fullwidth ＡＢＣ and halfwidth ｶﾅ become
ABC and カナ), case folding (Émile = émile, Straße = strasse) and katakana folded to
hiragana (カイギ = かいぎ). Accents are kept: é ≠ e (docs/decisions.md says why).

Tokens: runs of Han, kana and hangul become overlapping bigrams, the way Elasticsearch's
cjk_bigram filter does (天气预报 → 天气 气预 预报), because those scripts do not separate
words with spaces; a message also indexes each such character alone, so a one-character
query (猫) finds it. A query of two or more such characters asks for its bigrams only, so
a two-character word (天气, 검색, 検索) is one index term. Other scripts become words:
runs of letters, digits and combining marks. Punctuation, symbols and emoji are not
indexed. Every term of a query must be present (AND); order is not checked.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

# A word longer than this is cut to it (index entries have size limits; no real word is
# this long). Queries are cut the same way, so they still match.
TERM_MAX = 60
QUERY_TERMS_MAX = 16

_KATAKANA_START, _KATAKANA_END = 0x30A1, 0x30F6  # ァ..ヶ; ヷ-ヺ have no hiragana twin
_KANA_SHIFT = 0x60


def _is_cjk(ch: str) -> bool:
    """Han, kana and hangul: scripts written without spaces between words (hangul is
    spaced, but its particles stick to the word, so bigrams serve it too)."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= o <= 0x4DBF  # extension A
        or 0x20000 <= o <= 0x3134F  # extensions B..G
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0x3040 <= o <= 0x30FF  # hiragana, katakana (ー included)
        or 0x31F0 <= o <= 0x31FF  # katakana phonetic extensions
        or 0xAC00 <= o <= 0xD7AF  # hangul syllables
        or 0x1100 <= o <= 0x11FF  # hangul jamo
        or 0x3130 <= o <= 0x318F  # hangul compatibility jamo
        or o == 0x3005  # 々, the ideographic iteration mark
    )


def _is_word(ch: str) -> bool:
    """Letters, digits and combining marks (so Devanagari or Thai vowel signs stay inside
    their word). Not the underscore: `foo_bar` is two words, as `foo-bar` is."""
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


def _kana(text: str) -> str:
    if not any(_KATAKANA_START <= ord(c) <= _KATAKANA_END for c in text):
        return text
    return "".join(
        chr(ord(c) - _KANA_SHIFT) if _KATAKANA_START <= ord(c) <= _KATAKANA_END else c for c in text
    )


def fold(text: str) -> str:
    """NFKC, case-folded, katakana as hiragana. Case folding can undo NFKC (ǰ), so NFKC again."""
    return _kana(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()))


class Token(NamedTuple):
    term: str
    start: int  # offsets into the folded text
    end: int


def _tokens(folded: str, *, document: bool) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(folded)
    while i < n:
        ch = folded[i]
        if _is_cjk(ch):
            j = i
            while j < n and _is_cjk(folded[j]):
                j += 1
            if j - i == 1:
                out.append(Token(folded[i], i, j))
            else:
                for k in range(i, j - 1):
                    if document:
                        out.append(Token(folded[k], k, k + 1))
                    out.append(Token(folded[k : k + 2], k, k + 2))
                if document:
                    out.append(Token(folded[j - 1], j - 1, j))
            i = j
        elif _is_word(ch) and unicodedata.category(ch)[0] != "M":
            j = i + 1
            while j < n and _is_word(folded[j]) and not _is_cjk(folded[j]):
                j += 1
            out.append(Token(folded[i:j][:TERM_MAX], i, j))
            i = j
        else:
            i += 1
    return out


def document_terms(text: str) -> str:
    """What a message stores in its search column: its distinct terms, space-separated, in
    first-seen order. Empty when nothing in it is indexable."""
    return " ".join(dict.fromkeys(t.term for t in _tokens(fold(text), document=True)))


def query_terms(text: str) -> list[str]:
    """The terms a query asks for (all of them must match), at most QUERY_TERMS_MAX."""
    return list(dict.fromkeys(t.term for t in _tokens(fold(text), document=False)))[:QUERY_TERMS_MAX]


def _chunks(text: str) -> list[tuple[int, int]]:
    """The original text cut before every character that does not combine with the one
    before it: folding chunk by chunk gives the whole text's folding (NFKC only joins a
    character with the marks after it), and keeps track of where each folded character
    came from."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(text)):
        ch = text[i]
        if unicodedata.combining(ch) or ch in "\uff9e\uff9f\u3099\u309a" or "\udc00" <= ch <= "\udfff":
            continue
        out.append((start, i))
        start = i
    if text:
        out.append((start, len(text)))
    return out


def highlight(body: str, terms: list[str]) -> list[dict[str, object]]:
    """`body` cut into plain-text segments, `match: true` on the words (or CJK runs) that
    carry one of `terms`. Found by analysing the body, so what is marked is what matched:
    a search for ｋａｉｇｉ marks "Kaigi", a search for 会議 marks 会議 in 会議室."""
    wanted = set(terms)
    if not body or not wanted:
        return [{"text": body, "match": False}] if body else []
    folded_parts: list[str] = []
    origin: list[tuple[int, int]] = []  # for each folded character, its chunk in `body`
    for start, end in _chunks(body):
        part = fold(body[start:end])
        folded_parts.append(part)
        origin.extend([(start, end)] * len(part))
    folded = "".join(folded_parts)
    spans: list[tuple[int, int]] = []
    for tok in _tokens(folded, document=True):
        if tok.term in wanted and tok.end > tok.start:
            a, b = origin[tok.start][0], origin[tok.end - 1][1]
            if spans and a <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
            else:
                spans.append((a, b))
    out: list[dict[str, object]] = []
    pos = 0
    for a, b in spans:
        if a > pos:
            out.append({"text": body[pos:a], "match": False})
        out.append({"text": body[a:b], "match": True})
        pos = b
    if pos < len(body):
        out.append({"text": body[pos:], "match": False})
    return out
