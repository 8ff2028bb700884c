"""The search analyzer, table by table: what a message indexes, what a query asks for, and
that the two meet across scripts, widths, case and kana."""

from __future__ import annotations

import pytest

from parley.messaging.search_text import TERM_MAX, document_terms, fold, highlight, query_terms


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ＡＢＣ１２３", "abc123"),  # fullwidth → ASCII
        ("Émile", "émile"),  # case, accent kept
        ("Straße", "strasse"),
        ("カイギ", "かいぎ"),  # katakana → hiragana
        ("ｶｲｷﾞ", "かいぎ"),  # halfwidth katakana with a voiced mark
        ("ﾃﾞｰﾀ", "でーた"),
        ("검색", "검색"),  # hangul unchanged (NFKC keeps syllables composed)
        ("검", "검"),  # conjoining jamo compose
        ("天气", "天气"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("The quick brown fox", "the quick brown fox"),
        ("天气预报", "天 天气 气 气预 预 预报 报"),  # zh: bigrams, and each character alone
        ("검색을 했다", "검 검색 색 색을 을 했 했다 다"),  # ko
        ("会議室でカイギ", "会 会議 議 議室 室 室で で でか か かい い いぎ ぎ"),  # ja: one run
        ("猫", "猫"),
        ("hello世界", "hello 世 世界 界"),  # a script change ends a word
        ("foo_bar foo-bar e-mail 3.14", "foo bar e mail 3 14"),
        ("😀 !!! ... ★", ""),  # nothing indexable
        ("a a A", "a"),  # distinct terms
        ("हिन्दी भाषा", "हिन्दी भाषा"),  # combining vowel signs stay in the word
    ],
)
def test_document_terms(text: str, terms: str) -> None:
    assert document_terms(text) == terms


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("天气", ["天气"]),  # a two-character word is one index term
        ("검색", ["검색"]),
        ("検索", ["検索"]),
        ("天气预报", ["天气", "气预", "预报"]),  # no unigrams in a query
        ("猫", ["猫"]),
        ("ＱＵＩＣＫ fox", ["quick", "fox"]),
        ("カイギ", ["かい", "いぎ"]),
        ("<img src=x>", ["img", "src", "x"]),
        ("!!!", []),
    ],
)
def test_query_terms(query: str, terms: list[str]) -> None:
    assert query_terms(query) == terms


@pytest.mark.parametrize(
    ("body", "query"),
    [
        ("今天天气很好", "天气"),
        ("내일 검색 기능을 씁니다", "검색"),
        ("検索エンジン", "検索"),
        ("明日のカイギは十時", "かいぎ"),
        ("明日のかいぎは十時", "カイギ"),
        ("Meeting with ÉMILE", "émile"),
        ("ＡＢＣ corp", "abc"),
        ("abc corp", "ＡＢＣ"),
        ("今日は晴れ", "晴"),  # one character finds it inside a run
    ],
)
def test_queries_find_their_documents(body: str, query: str) -> None:
    assert set(query_terms(query)) <= set(document_terms(body).split())


@pytest.mark.parametrize(
    ("body", "query"),
    [
        ("emile", "émile"),  # accents are kept
        ("category", "cat"),  # whole words, not substrings
        ("天 气", "天气"),  # the bigram needs the characters side by side
    ],
)
def test_queries_miss(body: str, query: str) -> None:
    assert not set(query_terms(query)) <= set(document_terms(body).split())


def test_a_long_word_is_cut_the_same_way_on_both_sides() -> None:
    word = "x" * (TERM_MAX * 3)
    assert document_terms(word) == "x" * TERM_MAX
    assert query_terms(word) == ["x" * TERM_MAX]


def _marked(body: str, query: str) -> list[str]:
    segments = highlight(body, query_terms(query))
    assert "".join(str(s["text"]) for s in segments) == body  # the whole body, unchanged
    return [str(s["text"]) for s in segments if s["match"]]


@pytest.mark.parametrize(
    ("body", "query", "marked"),
    [
        ("The Quick brown fox", "quick", ["Quick"]),
        ("Quick, quick!", "QUICK", ["Quick", "quick"]),
        ("明日の会議室でカイギ", "会議 かいぎ", ["会議", "カイギ"]),
        ("ｶﾞｷﾞ and Kaigi", "がぎ ｋａｉｇｉ", ["ｶﾞｷﾞ", "Kaigi"]),
        ("今天天气预报说", "天气预报", ["天气预报"]),  # overlapping bigrams join
        ("category cat", "cat", ["cat"]),
        ("Ｅｍｉｌｅ said", "emile", ["Ｅｍｉｌｅ"]),
        ("😀 fire 🔥", "fire", ["fire"]),
        ("no match here", "zebra", []),
    ],
)
def test_highlight_marks_what_matched_in_the_original_text(body: str, query: str, marked: list[str]) -> None:
    assert _marked(body, query) == marked
