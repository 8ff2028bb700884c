"""A message's start as plain text, for the quote above a reply.

The quote is a line of small text, not a rendered message: Markdown's marks would show
as stray asterisks and backticks ("The **release checklist**…"), so they go, and the
words stay. Regular expressions, not a Markdown parser: it runs once per reply on the
send path and only has to be right for what a person reads in one line.
"""

from __future__ import annotations

import re

from parley.messaging.models import EXCERPT_MAX

_FENCE = re.compile(r"^\s*(```|~~~).*$", re.M)
_LINE_MARK = re.compile(r"^\s{0,3}(?:>\s?|#{1,6}\s+|[-*+]\s+|\d{1,9}[.)]\s+)+", re.M)
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(
    r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"  # *word*
    r"|(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"  # _word_, not snake_case
)
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_CODE = re.compile(r"(`+)(.+?)\1")
_SPACE = re.compile(r"\s+")


def plain_excerpt(body: str, limit: int = EXCERPT_MAX) -> str:
    """`body` without Markdown's marks, on one line, at most `limit` characters."""
    text = _FENCE.sub("", body)
    text = _LINE_MARK.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _CODE.sub(lambda m: m.group(2).strip(), text)
    text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    text = _STRIKE.sub(r"\1", text)
    return _SPACE.sub(" ", text).strip()[:limit]
