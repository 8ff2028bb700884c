"""Time zones: which names the server accepts, and the list a picker offers.

Accepted: every name `zoneinfo` knows (canonical zones and their backward-compatible
links alike), so whatever a browser reports (Chromium says `Asia/Calcutta`, Firefox
`Asia/Kolkata`) is taken. A link whose target the picker lists is stored as that target,
so the picker shows the person's zone selected.

Offered: tzdata's own list for pickers, `zone.tab` (one row per country and zone, with
the country code), plus UTC; each zone once, by region and city. The browser's
`Intl.supportedValuesOf("timeZone")` is not used for it: it differs between engines
(CLDR's ids, some of them legacy: `Asia/Calcutta`, `Europe/Kiev`), carries no country,
and is not the list the server validates against (docs/decisions.md, "Time zones").
"""

from __future__ import annotations

import os
import zoneinfo
from dataclasses import dataclass
from functools import cache
from importlib import resources

from django.utils.translation import gettext_lazy as _

from parley.common.errors import Invalid

UTC = "UTC"


@dataclass(frozen=True)
class Zone:
    id: str
    region: str  # the first part of the IANA name: Europe, America, Asia, ...
    city: str  # the last part, spaces for underscores: "Buenos Aires", "Seoul"
    country: str  # ISO 3166 code from zone.tab ("" for UTC): the client names it in its language


def _tzdata_text(name: str) -> str | None:
    """A file of tzdata, wherever `zoneinfo` finds its data (the system's, or the tzdata package)."""
    for root in zoneinfo.TZPATH:
        path = os.path.join(root, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                return handle.read()
    try:
        return (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return None


@cache
def accepted() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def _links() -> dict[str, str]:
    """{link: target} from tzdata.zi (`L target link` lines); empty where it is not shipped."""
    text = _tzdata_text("tzdata.zi") or ""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            out[parts[2]] = parts[1]
    return out


@cache
def picker() -> tuple[Zone, ...]:
    """The zones a person chooses from, sorted by region then city, each once."""
    seen: dict[str, Zone] = {}
    for line in (_tzdata_text("zone.tab") or "").splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3 or parts[2] not in accepted() or parts[2] in seen:
            continue
        name = parts[2]
        seen[name] = Zone(name, name.split("/")[0], name.rsplit("/", 1)[-1].replace("_", " "), parts[0])
    if not seen:  # no zone.tab: the region-prefixed names zoneinfo knows
        regions = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/")
        for name in accepted():
            if name.startswith((*regions, "Indian/", "Pacific/")) and name not in _links():
                seen[name] = Zone(name, name.split("/")[0], name.rsplit("/", 1)[-1].replace("_", " "), "")
    zones = sorted(seen.values(), key=lambda z: (z.region, z.city, z.id))
    return (Zone(UTC, UTC, UTC, ""), *zones)


@cache
def _picker_ids() -> frozenset[str]:
    return frozenset(z.id for z in picker())


def clean_time_zone(value: str) -> str:
    """The zone to store for `value`, an IANA name; a name nobody knows is refused (never stored)."""
    name = value.strip()
    if name not in accepted():
        raise Invalid(
            _("Choose a time zone."),
            fields={"time_zone": [_("An IANA time zone name, e.g. Europe/Paris.")]},
        )
    if _links().get(name, name) == "Etc/UTC":  # Etc/UTC, Zulu, Universal, ...
        return UTC
    if name not in _picker_ids():
        target = _links().get(name)
        if target in _picker_ids():
            return str(target)
    return name
