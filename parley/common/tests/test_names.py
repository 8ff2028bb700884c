"""One name check for every name others read: room names, topics, guest nicknames, file names."""

from __future__ import annotations

import json
from typing import Any

import pytest

from parley.common.errors import Invalid
from parley.common.names import clean_file_name, clean_name
from parley.rooms.models import Room
from parley.testing.api import client_for, error_of, make_user

BAD = [
    ("right-to-left override", "evil\u202egnp.exe"),
    ("left-to-right isolate", "a\u2066b"),
    ("right-to-left mark", "ab\u200f"),
    ("zero-width space", "ad\u200bmin"),
    ("zero-width joiner between letters", "ad\u200dmin"),
    ("zero-width non-joiner", "ad\u200cmin"),
    ("byte order mark", "\ufeffadmin"),
    ("soft hyphen", "ad\u00admin"),
    ("only spaces", "   \u3000 \u00a0 "),
    ("empty", ""),
    ("Hangul filler", "\u3164"),
    ("braille blank", "a\u2800b"),
    ("200 combining marks", "a" + "\u0301" * 200),
    ("five marks on one letter", "x\u0305\u0336\u0305\u0336\u0305"),
    ("starts with a mark", "\u0301abc"),
    ("NUL", "ab\x00cd"),
    ("C1 control", "ab\x85cd\x9b"),
    ("delete", "ab\x7f"),
    ("lone surrogate", "ab\ud800cd"),
    ("too long", "x" * 65),
]

GOOD = [
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("北京 讨论组", "北京 讨论组"),
    ("한국어 방", "한국어 방"),
    ("日本語のへや", "日本語のへや"),
    ("Café crème", "Café crème"),
    ("Cafe\u0301", "Café"),  # NFC: the combining accent becomes one letter
    ("family 👨\u200d👩\u200d👧 room", "family 👨\u200d👩\u200d👧 room"),  # ZWJ inside an emoji stays
    ("flag 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", None),  # a tag sequence
    ("thumbs 👍🏽 ❤️", "thumbs 👍🏽 ❤️"),
    ("  many   spaces\tand\ttabs  ", "many spaces and tabs"),
    ("a\u2028b\u2029c", "a b c"),  # line and paragraph separators are whitespace: folded
    ("\uff41\uff44\uff4d\uff49\uff4e", "admin"),  # full-width letters fold under NFKC
    ("Zoë x\u0305\u0305\u0305\u0305", None),  # four marks are fine (Vietnamese stacks two or three)
    ("x" * 64, None),
]


@pytest.mark.parametrize(("why", "value"), BAD, ids=[b[0] for b in BAD])
def test_bad_names_are_refused_with_the_field(why: str, value: str) -> None:
    with pytest.raises(Invalid) as caught:
        clean_name(value, field="name", max_length=64)
    assert list(caught.value.fields) == ["name"] and caught.value.fields["name"]


@pytest.mark.parametrize(("value", "stored"), GOOD, ids=[g[0][:20] for g in GOOD])
def test_good_names_pass_normalised(value: str, stored: str | None) -> None:
    assert clean_name(value, field="name", max_length=64) == (stored if stored is not None else value)


def test_topics_keep_their_lines_and_letters() -> None:
    topic = clean_name(
        "Line one\n  line two\u00a0 ",
        field="topic",
        max_length=250,
        form="NFC",
        multiline=True,
        allow_blank=True,
    )
    assert topic == "Line one\n  line two"  # free text keeps its spacing; the ends are trimmed
    assert clean_name("  ", field="topic", max_length=250, allow_blank=True) == ""
    assert clean_name("\u2460 \uff21", field="topic", max_length=9, form="NFC") == "\u2460 \uff21"
    with pytest.raises(Invalid):
        clean_name("ok\u202e", field="topic", max_length=250, form="NFC", multiline=True)


@pytest.mark.parametrize(
    ("value", "stored"),
    [("report.pdf", "report.pdf"), ("C:\\Users\\me\\photo.jpg", "photo.jpg"), ("../../etc/passwd", "passwd")],
)
def test_file_names_keep_only_their_last_part(value: str, stored: str) -> None:
    assert clean_file_name(value) == stored


@pytest.mark.parametrize("value", ["..", "photo\u202egpj.exe", "", "a/"])
def test_bad_file_names_are_refused(value: str) -> None:
    with pytest.raises(Invalid):
        clean_file_name(value)


# --- applied where names are set, through the API --------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("why", "value"), BAD[:-1], ids=[b[0] for b in BAD[:-1]])
def test_every_named_thing_refuses_bad_names(why: str, value: str) -> None:
    owner = make_user()
    c = client_for(owner)
    r = c.post("/api/v1/rooms", json.dumps({"name": value}), content_type="application/json")
    assert r.status_code == 400 and "name" in error_of(r)["fields"], why
    rid = c.post("/api/v1/rooms", {"name": "fine"}, format="json").json()["id"]
    for field in ("name", "topic"):
        if field == "topic" and why in ("only spaces", "empty"):
            continue  # a blank topic is no topic
        r = c.patch(f"/api/v1/rooms/{rid}", json.dumps({field: value}), content_type="application/json")
        assert r.status_code == 400 and field in error_of(r)["fields"], (why, field)
    if why not in ("too long",):
        nick = json.dumps({"nickname": value[:24]})
        r = client_for().post("/api/v1/auth/guest", nick, content_type="application/json")
        assert r.status_code == 400 and "nickname" in error_of(r)["fields"], why
    assert list(Room.objects.filter(owner=owner).values_list("name", "topic")) == [("fine", "")]


@pytest.mark.django_db
def test_markup_and_scripts_are_stored_as_text() -> None:
    c = client_for(make_user())
    body: dict[str, Any] = {"name": "<b>Ｃａｆé</b>", "topic": "<img src=x onerror=alert(1)>\n北京"}
    r = c.post("/api/v1/rooms", body, format="json")
    assert r.status_code == 201, r.content
    assert (r.json()["name"], r.json()["topic"]) == ("<b>Café</b>", body["topic"])
    guest = client_for().post("/api/v1/auth/guest", {"nickname": "Zoë 🦊"}, format="json")
    assert guest.status_code == 201 and guest.json()["user"]["display_name"] == "Zoë 🦊"
    # NFKC folds look-alikes before the name check: a full-width copy of a taken name is taken.
    copy = client_for().post("/api/v1/auth/guest", {"nickname": "Ｚｏë 🦊"}, format="json")
    assert copy.status_code == 400 and error_of(copy)["fields"]["nickname"]
