"""The server's catalogues stay whole (docs/i18n.md, "Server").

Each check reads the sources and the committed files in Python: no GNU gettext is needed
to run them, only to regenerate the catalogues (`make messages`).
- every .po translates every msgid, with nothing fuzzy, and its .mo says the same;
- every string the code or a template marks is in every catalogue;
- no template shows text outside the translate tags;
- no ServiceError is built from a bare string (its message would stay English).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.utils.translation.template import templatize

from parley.common import errors, languages

ROOT = Path(settings.BASE_DIR)
# Every language of settings.LANGUAGES but the source one: a language added there without
# its catalogue fails here.
LOCALES = tuple(languages.gettext_locales())
# Names that are the same in every language.
TEMPLATE_ALLOWED_WORDS = {"Parley"}
GETTEXT_FUNCS = {
    "_": ("msgid",),
    "gettext": ("msgid",),
    "gettext_lazy": ("msgid",),
    "gettext_noop": ("msgid",),
    "ngettext": ("msgid", "plural"),
    "ngettext_lazy": ("msgid", "plural"),
    "pgettext": ("ctx", "msgid"),
    "pgettext_lazy": ("ctx", "msgid"),
    "npgettext": ("ctx", "msgid", "plural"),
    "npgettext_lazy": ("ctx", "msgid", "plural"),
}

# A call in templatize()'s output: gettext(u'…'), ngettext(u'…', u'…', count), pgettext(u'ctx', u'…').
TEMPLATIZED_CALL = re.compile(r"\bn?p?gettext\((?:\s*u?'(?:[^'\\]|\\.)*'\s*,?)+\s*(?:\w+\s*)?\)")

Key = tuple[str | None, str, str | None]  # (context, msgid, plural msgid)


def po_path(locale: str) -> Path:
    return ROOT / "locale" / locale / "LC_MESSAGES" / "django.po"


def catalogue(locale: str) -> polib.POFile:
    return polib.pofile(str(po_path(locale)))


def key_of(entry: polib.POEntry | polib.MOEntry) -> Key:
    return (entry.msgctxt or None, entry.msgid, entry.msgid_plural or None)


def source_files() -> Iterator[Path]:
    """The code that can show text to a person: the apps and the settings, not tests."""
    for base in (ROOT / "parley", ROOT / "config"):
        for path in sorted(base.rglob("*.py")):
            parts = set(path.relative_to(ROOT).parts)
            if parts & {"tests", "migrations", "testing"}:
                continue
            yield path


def templates() -> list[Path]:
    return sorted(ROOT.glob("parley/*/templates/**/*.html")) + sorted(
        ROOT.glob("parley/*/templates/**/*.txt")
    )


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def gettext_calls(tree: ast.AST) -> Iterator[Key]:
    """(context, msgid, plural) of every gettext-family call with literal arguments."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        roles = GETTEXT_FUNCS.get(_call_name(node.func) or "")
        if roles is None or len(node.args) < len(roles):
            continue
        values = dict(zip(roles, node.args, strict=False))
        if not all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in values.values()):
            continue
        text = {role: value.value for role, value in values.items()}  # type: ignore[attr-defined]
        yield (text.get("ctx"), text["msgid"], text.get("plural"))


def marked_in_sources() -> dict[Key, str]:
    """Every msgid the code and the templates mark, with where it was found."""
    found: dict[Key, str] = {}
    for path in source_files():
        for key in gettext_calls(ast.parse(path.read_text(), str(path))):
            found.setdefault(key, str(path.relative_to(ROOT)))
    for path in templates():
        # Django's own translation of a template into gettext calls (what makemessages feeds
        # xgettext), read here with `ast` instead of xgettext.
        code = templatize(path.read_text(), origin=str(path))
        for match in TEMPLATIZED_CALL.finditer(code):
            for key in gettext_calls(ast.parse(match.group(0), mode="eval")):
                found.setdefault(key, str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("locale", LOCALES)
def test_every_msgid_is_translated_and_nothing_is_fuzzy(locale: str) -> None:
    po = catalogue(locale)
    assert po.metadata.get("Plural-Forms", "").startswith("nplurals=1;"), "zh, ko and ja have one plural form"
    assert not po.metadata_is_fuzzy
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    for entry in po.translated_entries():
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        assert all(f.strip() for f in forms), entry.msgid
        # The same placeholders, so `%` and `.format` never fail or drop a value.
        wanted = sorted(re.findall(r"%\(\w+\)[sd]|\{\w+\}", entry.msgid))
        for form in forms:
            assert sorted(re.findall(r"%\(\w+\)[sd]|\{\w+\}", form)) == wanted, (entry.msgid, form)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogue_matches_its_source(locale: str) -> None:
    """The committed .mo is what `make messages` would compile from the .po today."""
    po = catalogue(locale)
    mo = polib.mofile(str(po_path(locale).with_suffix(".mo")))

    def table(entries: list[polib.POEntry] | polib.MOFile) -> dict[Key, tuple[str, ...]]:
        out: dict[Key, tuple[str, ...]] = {}
        for e in entries:
            if not e.msgid:
                continue  # the header
            forms = (
                tuple(e.msgstr_plural[k] for k in sorted(e.msgstr_plural, key=int))
                if e.msgid_plural
                else (e.msgstr,)
            )
            out[key_of(e)] = forms
        return out

    assert table(mo) == table(po.translated_entries())


def test_every_marked_string_is_in_every_catalogue() -> None:
    marked = marked_in_sources()
    assert len(marked) > 300  # the extraction works (it finds the code's and the mails' texts)
    assert (None, "Wrong username or password.", None) in marked
    assert (None, "Hello %(name)s,", None) in marked  # from a template's blocktranslate
    for locale in LOCALES:
        known = {key_of(e) for e in catalogue(locale)}
        missing = {f"{where}: {key[1]!r}" for key, where in marked.items() if key not in known}
        assert not missing, f"run `make messages` and translate ({locale}): {sorted(missing)}"


def _untranslated_text(path: Path) -> list[str]:
    """Words a person would read that no translate tag covers."""
    pieces: list[str] = []
    depth = 0  # inside {% blocktranslate %} … {% endblocktranslate %}
    for token in Lexer(path.read_text()).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in ("blocktranslate", "blocktrans"):
                depth += 1
            elif name in ("endblocktranslate", "endblocktrans"):
                depth -= 1
        if token.token_type == TokenType.TEXT and not depth:
            pieces.append(token.contents)
        else:
            pieces.append("\x00")  # a tag's or a variable's place: no words of its own
    page = "".join(pieces)
    # What a person reads in attributes, then the text between the tags.
    readable = re.findall(r"""\b(?:title|alt|placeholder|aria-label)\s*=\s*["']([^"']*)["']""", page)
    readable.append(re.sub(r"<[^>]*>|&\w+;|&#\d+;", " ", page))
    return [
        w for chunk in readable for w in re.findall(r"[^\W\d_]+", chunk) if w not in TEMPLATE_ALLOWED_WORDS
    ]


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_mark_all_their_text(path: Path) -> None:
    assert _untranslated_text(path) == []


def test_the_template_check_finds_unmarked_text(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}<p title="Hi">{% translate "Hello" %}</p>'
        "{% blocktranslate %}Hi {{ name }}{% endblocktranslate %} Parley <b>Goodbye</b>"
    )
    assert _untranslated_text(page) == ["Hi", "Goodbye"]


def _service_error_names() -> set[str]:
    names: set[str] = set()
    todo: list[type] = [errors.ServiceError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


def _is_plain_text(node: ast.expr) -> bool:
    """A literal, an f-string or a concatenation of them: English whatever the reader reads."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_plain_text(node.left) or _is_plain_text(node.right)
    return False


def plain_service_errors(tree: ast.AST, names: set[str]) -> list[int]:
    """Lines that build a ServiceError (raised or not) whose message or field text is plain."""
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _call_name(node.func) in names):
            continue
        texts = list(node.args[:1])
        for kw in node.keywords:
            if kw.arg == "message":
                texts.append(kw.value)
            if kw.arg == "fields" and isinstance(kw.value, ast.Dict):
                for value in kw.value.values:
                    if isinstance(value, ast.List):
                        texts += value.elts
        if any(_is_plain_text(t) for t in texts):
            lines.append(node.lineno)
    return lines


def test_service_errors_are_never_built_from_plain_strings() -> None:
    names = _service_error_names()
    assert {"Invalid", "Forbidden", "NotFound", "Gone"} <= names
    offenders = []
    for path in source_files():
        tree = ast.parse(path.read_text(), str(path))
        offenders += [f"{path.relative_to(ROOT)}:{line}" for line in plain_service_errors(tree, names)]
    assert offenders == [], "wrap the text in gettext_lazy (parley/common/i18n.py)"


def test_the_service_error_check_finds_plain_strings() -> None:
    code = (
        "raise Invalid('Bad.')\n"
        "raise NotFound(f'No {x}.')\n"
        "raise Invalid(_('Fine.'), fields={'a': ['Bad field.']})\n"
        "raise Invalid(_('Fine.'), fields={'a': [_('Fine field.')]})\n"
        "raise Forbidden(NO_SUCH)\n"
    )
    assert plain_service_errors(ast.parse(code), _service_error_names()) == [1, 2, 3]
