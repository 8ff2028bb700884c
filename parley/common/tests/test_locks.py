"""The committed locks in requirements/ cover pyproject.toml and agree with each other.

`make` installs from the locks, not from pyproject.toml, so a requirement added
or changed there without `make lock` would silently not be installed.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)

# Which lock installs which part of pyproject.toml (see the Makefile's deps-* targets).
LOCK_OF = {"dependencies": "run", "dev": "dev", "bench": "bench", "s3": "s3"}


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / f"{lock}.txt").read_text()
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def requirements_of(group: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    entries = project["dependencies"] if group == "dependencies" else project["optional-dependencies"][group]
    return [Requirement(entry) for entry in entries]


def test_every_optional_dependency_group_has_a_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert set(project["optional-dependencies"]) | {"dependencies"} == set(LOCK_OF)


@pytest.mark.parametrize(
    ("group", "lock"),
    [(group, lock) for group, lock in LOCK_OF.items()] + [("dependencies", "dev"), ("dependencies", "bench")],
)
def test_every_requirement_is_pinned_within_its_range(group: str, lock: str) -> None:
    pinned = pins(lock)
    problems = []
    for req in requirements_of(group):
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        version = pinned.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req} is not in requirements/{lock}.txt")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req} but requirements/{lock}.txt pins {version}")
    assert not problems, "run `make lock`: " + "; ".join(problems)


def test_a_package_has_the_same_version_in_every_lock() -> None:
    locks = {lock: pins(lock) for lock in ("run", "dev", "bench")}
    disagreements = sorted(
        f"{name}: {lock}={version}, {other}={locks[other][name]}"
        for lock, pinned in locks.items()
        for name, version in pinned.items()
        for other in locks
        if other > lock and name in locks[other] and locks[other][name] != version
    )
    assert not disagreements
    assert locks["run"].items() <= locks["dev"].items()
    assert locks["run"].items() <= locks["bench"].items()
    assert locks["run"].items() <= pins("s3").items()
