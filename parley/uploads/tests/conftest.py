from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from parley.testing.api import client_for, make_user


@pytest.fixture(autouse=True)
def upload_dir(settings: Any, tmp_path: Path) -> Path:
    """Each test stores its uploads in a folder of its own (Django drops the cached storage
    when STORAGES changes), so a test can look at what is on disk."""
    folder = tmp_path / "uploads"
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": None},
        },
    }
    return folder


def stored_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def png(width: int = 40, height: int = 20, color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def named(data: bytes, name: str) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


@pytest.fixture
def room() -> dict[str, Any]:
    """A public room with its owner and a member, and an outsider."""
    owner, member, outsider = make_user(), make_user(), make_user()
    o, m, x = client_for(owner), client_for(member), client_for(outsider)
    created = o.post("/api/v1/rooms", {"name": f"files-{owner.pk}"}, format="json").json()
    assert m.post(f"/api/v1/rooms/{created['id']}/join").status_code == 200
    return {"rid": created["id"], "owner": owner, "member": member, "o": o, "m": m, "x": x}


def upload(client: Any, rid: int, data: bytes, name: str = "picture.png") -> Any:
    return client.post(f"/api/v1/rooms/{rid}/uploads", {"file": named(data, name)}, format="multipart")
