"""Draw the app's PNG icons from the favicon's shapes (public/favicon.svg), once.

The manifest asks for 192 and 512 pixel icons, plain and maskable (full-bleed, the mark in
the central safe zone), and iOS for a 180 pixel touch icon. Run with the project's venv
(Pillow) from frontend/: `../.venv/bin/python scripts/icons.py`; the PNGs are committed.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

INDIGO = (79, 70, 229, 255)  # favicon.svg's #4f46e5
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "public" / "icons"
SUPER = 8  # drawn this much larger, then scaled down: smooth edges


def draw(size: int, *, rounded: bool, mark_scale: float) -> Image.Image:
    big = size * SUPER
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    u = big / 64  # favicon.svg's 64-unit grid
    if rounded:
        d.rounded_rectangle((0, 0, big - 1, big - 1), radius=14 * u, fill=INDIGO)
    else:
        d.rectangle((0, 0, big, big), fill=INDIGO)

    # The speech bubble (favicon.svg's path), scaled about the centre of the grid.
    def p(x: float, y: float) -> tuple[float, float]:
        return ((32 + (x - 32) * mark_scale) * u, (33 + (y - 35) * mark_scale) * u)

    r = 6 * mark_scale * u
    (x0, y0), (x1, y1) = p(10, 18), p(54, 44)
    d.rounded_rectangle((x0, y0, x1, y1), radius=r, fill=WHITE)
    d.polygon([p(30, 43), p(20, 52), p(20, 43)], fill=WHITE)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, rounded=True, mark_scale=1.0).save(OUT / f"icon-{size}.png", optimize=True)
        # Maskable: the platform crops to its own shape; keep the mark inside the 80% circle.
        draw(size, rounded=False, mark_scale=0.72).save(OUT / f"maskable-{size}.png", optimize=True)
    draw(180, rounded=False, mark_scale=0.85).save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
