"""What decoding a picture will cost, worked out from its header before any pixel is decoded.

A small file can declare a huge picture: a 78 KB PNG of zeros decodes to 80 MB. The cost is
width x height x the bytes per pixel of the mode Pillow decodes it to (RGB is padded to 4),
times the full-size copies the decoder keeps (WebP: 3), plus, for a progressive JPEG,
libjpeg's coefficient buffers, which are full-size whatever the draft scale. A picture that
would need more than DECODE_BUDGET is refused, and the message says how many megapixels
that kind of picture may have. Each check returns the refusal's words, or None.
"""

from __future__ import annotations

import math
from typing import Any, Protocol


class Header(Protocol):
    """What these rules read of an opened picture: its header fields (a PIL.Image has them)."""

    # Read-only, as PIL.Image's width, height and mode are properties; info's key type is
    # Pillow's own annotation.
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def mode(self) -> str: ...
    @property
    def format(self) -> str | None: ...
    @property
    def info(self) -> dict[str | tuple[int, int], Any]: ...


DECODE_BUDGET = 64 * 2**20  # bytes the decoder may hold for one picture
MAX_FRAMES = 1000  # only the first is decoded; more than this is not a picture but a film
# Bytes per pixel as Pillow holds each mode in memory; other modes (RGB too) take 4.
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Full-size copies a decoder holds at once: libwebp's canvas, the bytes Pillow copies it into,
# and the image itself.
_COPIES = {"WEBP": 3}


def decoded_bytes(image: Header, width: int, height: int) -> int:
    """Return the bytes decoding `image` (opened, drafted) needs; width x height as declared."""
    decoded = image.width * image.height * _BYTES_PER_PIXEL.get(image.mode, 4)
    decoded *= _COPIES.get(image.format or "", 1)
    if image.format == "JPEG" and image.info.get("progressive"):
        # libjpeg keeps every DCT coefficient (2 bytes) of every component, at full size.
        layers = getattr(image, "layer", [])
        most_h = max((h for _, h, _, _ in layers), default=1) or 1
        most_v = max((v for _, _, v, _ in layers), default=1) or 1
        for _, h, v, _ in layers:
            columns = math.ceil(math.ceil(width * h / most_h) / 8)
            rows = math.ceil(math.ceil(height * v / most_v) / 8)
            decoded += columns * rows * 64 * 2
    return decoded


def budget_refusal(image: Header, width: int, height: int) -> str | None:
    """Say why decoding `image` (opened, drafted) would need too much memory, or None."""
    needed = decoded_bytes(image, width, height)
    if needed <= DECODE_BUDGET:
        return None
    most = DECODE_BUDGET * width * height // needed  # the pixels this kind of picture may have
    return (
        f"the picture is {width} x {height} pixels, too many to decode for this "
        f"{_kind(image)}: at most {most / 1_000_000:.1f} megapixels are accepted for that kind; "
        "save it smaller"
    )


def _kind(image: Header) -> str:
    modes = {
        "P": "palette",
        "1": "black and white",
        "L": "grey",
        "LA": "grey and alpha",
        "RGBA": "RGBA",
        "CMYK": "CMYK",
        "RGB": "RGB",
    }
    mode = "16-bit grey" if image.mode.startswith("I;16") else modes.get(image.mode, image.mode)
    progressive = "progressive " if image.info.get("progressive") else ""
    return f"{progressive}{mode} {image.format}"


def frames_refusal(image: Header) -> str | None:
    """Say why an animation has too many frames, or None."""
    frames = getattr(image, "n_frames", 1)  # header fields; a GIF's are counted, not decoded
    if frames <= MAX_FRAMES:
        return None
    return (
        f"the picture has {frames} frames; at most {MAX_FRAMES} are accepted (only the "
        "first is shown)"
    )


def webp_canvas_refusal(data: bytes) -> str | None:
    """Say why a WebP's canvas is over the budget, from its header alone, or None."""
    if not (data.startswith(b"RIFF") and data[8:12] == b"WEBP"):
        return None
    chunk, size = data[12:16], None
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        size = (
            int.from_bytes(data[26:28], "little") & 0x3FFF,
            int.from_bytes(data[28:30], "little") & 0x3FFF,
        )
    elif chunk == b"VP8X" and len(data) >= 30:
        size = (
            int.from_bytes(data[24:27], "little") + 1,
            int.from_bytes(data[27:30], "little") + 1,
        )
    elif chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        size = ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    most = DECODE_BUDGET // (4 * _COPIES["WEBP"])
    if size is None or size[0] * size[1] <= most:
        return None  # (a header we cannot read: Pillow will say what is wrong with it)
    return (
        f"the picture is {size[0]} x {size[1]} pixels, too many to decode for this WebP: at "
        f"most {most / 1_000_000:.1f} megapixels are accepted for that kind; save it smaller"
    )
