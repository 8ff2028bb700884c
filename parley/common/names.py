"""One check for every name other people read: room names and topics, display names
(guest nicknames), file names.

A name is shown to others beside other names, so it must not be able to hide, mimic
or reorder text around it. The checker refuses what cannot be shown honestly and
normalises what can:

- text that is not valid Unicode (lone surrogates, which JSON allows and UTF-8 does not);
- control characters (NUL, C0, C1; newlines and tabs only where `multiline`);
- format characters: bidi overrides and isolates (U+202A-U+202E, U+2066-U+2069),
  marks (U+200E/U+200F), zero-width spaces and joiners, the BOM, soft hyphens —
  except inside emoji, whose ZWJ sequences, tags and variation selectors are kept;
- characters that render as nothing (the Hangul fillers, the braille blank);
- piles of combining marks (more than `MARKS_MAX` on one letter: "Zalgo" text that
  spills over the lines around it), and a name that starts with one;
- a blank name (spaces of any script only), and one longer than `max_length`.

Names are normalised to NFKC by default, so that full-width or styled letters
(full-width "admin", mathematical bold "admin") compare equal to the plain ones
they imitate; free text (topics) and file names keep their characters under NFC. Runs of whitespace become
one space in a name (free text keeps its spacing). Markup is plain text:
"<script>" is a fine name and is stored as written.

This module is at the bottom of the layers (beside the errors) so every app's
services, and the uploads, call the same function: `clean_name`.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

import emoji as emoji_data
from django.utils.translation import gettext_lazy as _

from parley.common.errors import Invalid
from parley.common.i18n import Text, interpolate

MARKS_MAX = 4
NAME = _("name")  # what a name is called in refusals when the caller gives no label
# Letters that are drawn as nothing although Unicode does not call them format characters.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5")
# Stand-in for an emoji while the rest of the name is checked (a letter, not a mark).
_EMOJI_STAND_IN = "E"


def _refuse(field: str, message: Text, detail: Text) -> Invalid:
    return Invalid(message, fields={field: [detail]})


def _check_characters(text: str, *, field: str, label: Text, multiline: bool) -> None:
    marks = 0
    for i, c in enumerate(text):
        cat = unicodedata.category(c)
        if cat == "Cc" and not (multiline and c in "\n\t"):
            raise _refuse(
                field,
                interpolate(_("The %(label)s has control characters."), {"label": label}),
                _("Control characters are not allowed."),
            )
        if cat in ("Cf", "Cs") or c in BLANK_LETTERS or cat in ("Zl", "Zp"):
            raise _refuse(
                field,
                interpolate(_("The %(label)s has invisible characters."), {"label": label}),
                _("Invisible characters are not allowed."),
            )
        if cat in ("Mn", "Me"):
            marks += 1
            if i == 0 or marks > MARKS_MAX:
                raise _refuse(
                    field,
                    interpolate(_("The %(label)s has too many combining marks."), {"label": label}),
                    interpolate(_("At most %(count)s accents on one letter."), {"count": MARKS_MAX}),
                )
        else:
            marks = 0


def clean_name(
    value: str,
    *,
    field: str,
    max_length: int,
    label: Text = NAME,
    form: Literal["NFKC", "NFC"] = "NFKC",
    multiline: bool = False,
    allow_blank: bool = False,
) -> str:
    """The name as it should be stored, or `Invalid` with `fields={field: [why]}`.

    `label` names the thing in the message ("The topic has control characters.");
    `multiline` keeps newlines, tabs and inner spacing (a topic) instead of folding whitespace;
    `allow_blank` lets an empty value through as "" (an optional topic)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _refuse(
            field,
            interpolate(_("The %(label)s has an invalid character."), {"label": label}),
            _("Surrogate characters are not allowed."),
        ) from exc
    value = unicodedata.normalize(form, value)
    # Free text keeps the writer's spacing (only the ends are trimmed); a name gets single spaces.
    value = value.strip() if multiline else " ".join(value.split())
    if not value:
        if allow_blank:
            return ""
        raise _refuse(
            field, interpolate(_("Enter a %(label)s."), {"label": label}), _("This field may not be blank.")
        )
    if len(value) > max_length:
        raise _refuse(
            field,
            interpolate(_("The %(label)s is too long."), {"label": label}),
            interpolate(_("At most %(count)s characters."), {"count": max_length}),
        )
    # Emoji (with their ZWJs, tags and variation selectors) are whole pictures: check the rest.
    plain = emoji_data.replace_emoji(value, replace=_EMOJI_STAND_IN) if not value.isascii() else value
    _check_characters(plain, field=field, label=label, multiline=multiline)
    return value


def clean_file_name(value: str, *, field: str = "name", max_length: int = 255) -> str:
    """A file name as others will read it: `clean_name` under NFC, and no path separators
    (only the last part of a path is kept, as browsers send it)."""
    value = value.replace("\\", "/").rsplit("/", 1)[-1]
    value = clean_name(value, field=field, max_length=max_length, label=_("file name"), form="NFC")
    if value in (".", ".."):
        raise _refuse(field, _("The file name is not valid."), _("Name the file."))
    return value
