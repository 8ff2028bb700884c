"""The languages Parley speaks: `settings.LANGUAGES` is the one list (docs/i18n.md).

Everything else reads it: the profile's `language` choices and their check, the language a
new account starts in, `Accept-Language` and `?lang=` negotiation (Django's own, which reads
the same setting), mail, the admin; and the web client, whose list is GENERATED from it:
`python -m parley.common.languages` writes `docs/api/languages.json`, from which
`npm run gen` writes `frontend/src/i18n/languages.gen.ts` (`make protocol` runs both; pytest
and `npm run lint` fail while either is stale). Before this module the profile kept a tuple of
its own, so a language added to the setting was accepted at registration and refused by
`PATCH me`.

Each entry is derived from the code alone, so adding a language is one line in settings
(plus its translations): its BCP 47 tag (`zh-hans` → `zh-Hans`, what `Intl` and
`<html lang>` take) and the primary subtag a browser's `navigator.languages` is matched on
(`zh-TW` → `zh` → `zh-hans`).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TypeGuard

from django.conf import settings
from django.utils.translation import to_locale

LANGUAGES_PATH = Path(__file__).resolve().parents[2] / "docs" / "api" / "languages.json"


def codes() -> tuple[str, ...]:
    """The language codes, in the settings' order."""
    return tuple(code for code, _name in settings.LANGUAGES)


def is_language(code: object) -> TypeGuard[str]:
    """`code` is exactly one of ours (no variant matching: that is negotiation's job)."""
    return isinstance(code, str) and code in codes()


def choices() -> list[tuple[str, str]]:
    """(code, own name) pairs, for serializer and form choices."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def bcp47(code: str) -> str:
    """The BCP 47 spelling of a Django code: `zh-hans` → `zh-Hans`, `pt-br` → `pt-BR`."""
    return to_locale(code).replace("_", "-")


def client_languages() -> dict[str, Any]:
    """What the web client needs to know of each language, in the settings' order."""
    return {
        "default": settings.LANGUAGE_CODE,
        "languages": [
            {"code": code, "name": name, "bcp47": bcp47(code), "match": code.split("-")[0]}
            for code, name in choices()
        ],
    }


def gettext_locales() -> list[str]:
    """The catalogues `make messages` keeps: every language but the source one (`en`)."""
    return [to_locale(code) for code in codes() if code != settings.LANGUAGE_CODE]


def render() -> str:
    return json.dumps(client_languages(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write the client's list (to `argv[0]` if given); `--gettext-locales` prints
    makemessages' `-l` options instead."""
    if argv[:1] == ["--gettext-locales"]:
        print(" ".join(f"-l {name}" for name in gettext_locales()))
        return 0
    out = Path(argv[0]) if argv else LANGUAGES_PATH
    out.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.exit(main(sys.argv[1:]))
