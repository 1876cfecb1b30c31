"""Benchmark: the picture memory ceiling, against adversarial uploads made here.

    python -m bench.suites.avatars.ceiling

Every accepted format at the largest size tictactoe.pictures accepts for it (16-bit, RGBA and
palette PNG, a GIF of many frames, WebP, progressive and CMYK JPEG ...), and the same just
over the limit (refused from the header). Each file is processed in a fresh Python process
that has already imported the app's picture code and processed one small picture, as a
worker has: its peak resident set size (VmHWM) just before is the idle peak, and the figure
is how far the upload raised that peak. Target: at most 100 MB for every file.
"""

from __future__ import annotations

import io
import math
import struct
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.suites.avatars.measure import in_subprocess, status_mb
from tictactoe.adapters import pillow
from tictactoe.rules import decoding

TARGET_MB = 100


def _side(bytes_per_pixel: float, copies: int = 1, margin: bool = False) -> int:
    """The largest square side the decode budget (and the pixel cap) accepts for a kind.

    A progressive JPEG's buffers round up to whole 8 x 8 blocks, and its drafted output
    counts too: with `margin`, 4 MiB of the budget are left for those.
    """
    budget = decoding.DECODE_BUDGET - (4 * 2**20 if margin else 0)
    most = min(pillow.MAX_PIXELS, budget / (bytes_per_pixel * copies))
    return math.isqrt(int(most))


def png_of_zeros(side: int, bit_depth: int, colour_type: int, interlace: int = 0) -> bytes:
    """A PNG declaring side x side pixels, all zero, written row by row (never held whole)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    row = b"\x00" * (1 + math.ceil(side * channels * bit_depth / 8))
    rows = side if not interlace else side * 2  # Adam7's passes add up to about twice
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, bit_depth, colour_type, 0, 0, interlace)
    chunks = [(b"IHDR", header)]
    if colour_type == 3:
        chunks.append((b"PLTE", bytes(range(256)) * 3))
    chunks += [(b"IDAT", pixels), (b"IEND", b"")]
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in chunks:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        out += struct.pack(">I", len(body)) + kind + body + crc
    return out


def gif_of_frames(side: int, frames: int) -> bytes:
    """A side x side GIF whose first frame fills the screen, then frames - 1 one-pixel frames."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("P", (side, side), 0).save(out, "GIF")
    first = out.getvalue()[:-1]  # without the trailer
    # Image descriptor at (0, 0), 1 x 1, no local palette; LZW (code size 2): clear, 0, end.
    tiny = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return first + tiny * (frames - 1) + b";"


def _pillow(mode: str, side: int, fmt: str, **options: Any) -> bytes:
    from PIL import Image

    image = Image.new(mode, (side, side), "white" if mode != "P" else 0)
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def cases() -> list[tuple[str, Callable[[], bytes]]]:
    """(name, make the file) for every adversarial upload, at the limit and just over it."""
    out: list[tuple[str, Callable[[], bytes]]] = []
    for over, label in ((0, "largest accepted"), (1, "just over")):
        out += [(f"{name}, {label}", make) for name, make in _kinds(over)]
    return out


def _kinds(over: int) -> list[tuple[str, Callable[[], bytes]]]:
    """Every kind of file at its largest accepted size, or `over` a step past it."""
    max_pixels = math.isqrt(pillow.MAX_PIXELS)
    webp = _side(4, 3)
    return [
        ("16-bit grey PNG", lambda o=over: png_of_zeros(_side(2) + o * 64, 16, 0)),
        ("16-bit RGBA PNG", lambda o=over: png_of_zeros(_side(4) + o * 64, 16, 6)),
        ("RGBA PNG, interlaced", lambda o=over: png_of_zeros(_side(4) + o * 64, 8, 6, 1)),
        ("palette PNG", lambda o=over: png_of_zeros(max_pixels + o * 64, 8, 3)),
        ("1-bit PNG", lambda o=over: png_of_zeros(max_pixels + o * 64, 1, 0)),
        ("GIF, many frames", lambda o=over: gif_of_frames(max_pixels, decoding.MAX_FRAMES + o)),
        (
            "lossless RGBA WebP",
            lambda o=over: _pillow("RGBA", webp + o * 64, "WEBP", lossless=True, quality=0),
        ),
        ("lossy WebP", lambda o=over: _pillow("RGB", webp + o * 64, "WEBP", quality=50)),
        ("baseline JPEG", lambda o=over: _pillow("RGB", max_pixels + o * 64, "JPEG")),
        (
            "progressive JPEG 4:2:0",
            lambda o=over: _pillow(
                "RGB", _side(3, margin=not o) + o * 64, "JPEG", progressive=True, subsampling=2
            ),
        ),
        (
            "progressive JPEG 4:4:4",
            lambda o=over: _pillow(
                "RGB", _side(6, margin=not o) + o * 64, "JPEG", progressive=True, subsampling=0
            ),
        ),
        ("CMYK JPEG", lambda o=over: _pillow("CMYK", max_pixels + o * 64, "JPEG")),
        (
            "progressive CMYK JPEG",
            lambda o=over: _pillow(
                "CMYK", _side(8, margin=not o) + o * 64, "JPEG", progressive=True
            ),
        ),
    ]


def measure(path: str) -> dict[str, Any]:
    """Process one file in this (fresh) process; return how far it raised the peak RSS."""
    warm = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (600, 400), "red").save(warm, "JPEG")
    pillow.process(warm.getvalue())  # a worker has processed pictures before
    data = Path(path).read_bytes()
    idle = status_mb("VmHWM")
    try:
        picture = pillow.process(data)
        outcome = f"accepted ({picture.width} x {picture.height})"
    except pillow.BadImage as err:
        outcome = f"refused: {err}"
    return {
        "outcome": outcome,
        "idle_peak_mb": round(idle, 1),
        "added_mb": round(status_mb("VmHWM") - idle, 1),
    }


def run() -> dict[str, Any]:
    """Make each adversarial file, measure it in a fresh process, return the figures."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, (name, make) in enumerate(cases()):
            path = Path(tmp) / f"{index}.bin"
            path.write_bytes(make())
            rows.append(
                {
                    "name": name,
                    "file_kb": round(path.stat().st_size / 1024, 1),
                    **in_subprocess("bench.suites.avatars.ceiling", str(path)),
                }
            )
            path.unlink()
    worst = max(rows, key=lambda r: r["added_mb"])
    return {
        "cases": rows,
        "worst": worst,
        "target_mb": TARGET_MB,
        "decode_budget_mb": round(decoding.DECODE_BUDGET / 2**20),
        "meets_target": worst["added_mb"] <= TARGET_MB,
    }


def report(result: dict[str, Any]) -> str:
    """Return the figures as a Markdown table."""
    lines = ["| upload | file KB | outcome | peak RSS raised by, MB |", "|---|---|---|---|"]
    for row in result["cases"]:
        lines.append(f"| {row['name']} | {row['file_kb']} | {row['outcome']} | {row['added_mb']} |")
    worst = result["worst"]
    lines.append(
        f"\nWorst case: {worst['name']}, {worst['added_mb']} MB over the idle peak "
        f"(target ≤ {result['target_mb']} MB; decode budget {result['decode_budget_mb']} MiB). "
        f"Target met: {result['meets_target']}. Each file ran in a fresh process that had "
        "already processed one small picture; the idle peak was about "
        f"{worst['idle_peak_mb']} MB."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
