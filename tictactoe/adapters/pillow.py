"""Player pictures: uploaded bytes in, square, upright, metadata-free WebP renditions out.

Pure Pillow, no I/O. Only JPEG, PNG, WebP and GIF are ever parsed: Pillow is told so, so no
other decoder (EPS and its Ghostscript, for one) can be reached by an upload.

A memory ceiling, whatever the upload. What a picture will cost to decode is worked out from
its header before any pixel is decoded, and refused over a budget (see decoding.py). JPEGs
are decoded at 1/2, 1/4 or 1/8 scale first (libjpeg's DCT scaling, Pillow's draft mode), so
their budget is the reduced size. Other formats cannot be decoded at reduced scale, so the
decoded picture is cropped, converted and box-reduced in strips: only one full-size copy is
ever held. Only the first frame of an
animation is decoded. And one picture at a time per process (`process` waits WAIT_SECONDS
for its turn, then raises Busy), so concurrent uploads cannot add their peaks up.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
from dataclasses import dataclass
from pathlib import PurePosixPath

from PIL import Image, ImageCms, UnidentifiedImageError

from tictactoe.rules import decoding
from tictactoe.rules.refusals import Busy as Refusal

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # declared width x height, checked from the header before decoding
WAIT_SECONDS = 2.0  # how long an upload waits for the one decoding slot before Busy
_DECODING = threading.Lock()
_STRIP_PIXELS = 1 << 20  # rows converted at a time: a few MB, whatever the picture
SIZES = (256, 64)  # square renditions, largest first
CONTENT_TYPE = "image/webp"
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
_EXTENSIONS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".jfif": "JPEG",
    ".png": "PNG",
    ".apng": "PNG",
    ".webp": "WEBP",
    ".gif": "GIF",
}
_ACCEPTED = "upload a JPEG, PNG, WebP or GIF picture"
# Magic numbers of formats people try, for a clearer message than "not an image".
_KNOWN_OTHERS = {
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"%PDF": "PDF",
    b"%!PS": "PostScript",
    b"\x00\x00\x01\x00": "ICO",
    b"8BPS": "Photoshop",
}
_SRGB = ImageCms.createProfile("sRGB")
# EXIF orientation -> the transposition that makes the picture upright.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class BadImage(Exception):
    """The upload cannot become a picture; the message says why (400)."""


class NotAnImage(BadImage):
    """The bytes are not a picture in any format we read."""


class Unsupported(BadImage):
    """A real format, but not one we accept (SVG, HEIC, TIFF ...)."""


class Damaged(BadImage):
    """The file starts like a picture but cannot be decoded (truncated, corrupt)."""


class Mislabelled(BadImage):
    """The file's name says one format and its content is another."""


class TooManyPixels(BadImage):
    """The picture declares more pixels than MAX_PIXELS (a decompression bomb, say)."""


class TooLarge(BadImage):
    """The upload is over MAX_BYTES (413)."""


class Busy(Refusal):
    """Another picture is being decoded in this process; the upload may try again (503)."""


@dataclass(frozen=True)
class Rendition:
    size: int  # width and height, in pixels
    data: bytes


@dataclass(frozen=True)
class Picture:
    """The normalized picture: its renditions and what the upload was."""

    renditions: tuple[Rendition, ...]
    width: int  # of the upload, upright
    height: int
    source_format: str
    digest: str  # sha256 of the renditions: the same picture always gets the same digest
    content_type: str = CONTENT_TYPE


def process(data: bytes, filename: str | None = None, wait: float | None = None) -> Picture:
    """Turn an upload into square renditions, or raise a BadImage saying why.

    One picture decodes at a time per process: this waits up to `wait` seconds (default
    WAIT_SECONDS) for its turn, then raises Busy.
    """
    if len(data) > MAX_BYTES:
        raise TooLarge(f"the picture is over {MAX_BYTES // (1024 * 1024)} MiB")
    if not _DECODING.acquire(timeout=WAIT_SECONDS if wait is None else wait):
        raise Busy("busy processing another picture; try again in a few seconds", retry_after=2)
    try:
        return _process(data, filename)
    finally:
        _DECODING.release()


def _process(data: bytes, filename: str | None) -> Picture:
    _refuse(decoding.webp_canvas_refusal(data))  # libwebp allocates it when Pillow opens
    image = _open(data)
    _check_name(filename, image.format or "")
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise TooManyPixels(
            f"the picture is {width} x {height} pixels; at most {MAX_PIXELS // 1_000_000} "
            "megapixels are accepted"
        )
    _refuse(decoding.frames_refusal(image))
    try:
        _draft(image, SIZES[0])
        _refuse(decoding.budget_refusal(image, width, height))
        orientation = _orientation(image)  # after the budget: a PNG's EXIF may mean a decode
        square = _square(image, SIZES[0])
    except BadImage:
        raise
    except Exception as err:  # Pillow raises many types for broken files; all mean "damaged"
        raise Damaged(f"the picture is damaged or incomplete ({err})") from err
    square = _colours(square, image.info.get("icc_profile"))
    if orientation in _TRANSPOSE:
        square = square.transpose(_TRANSPOSE[orientation])
    renditions = [Rendition(SIZES[0], _encode(square))]
    for size in SIZES[1:]:
        smaller = square.resize((size, size), Image.Resampling.LANCZOS)
        renditions.append(Rendition(size, _encode(smaller)))
    if orientation in (5, 6, 7, 8):  # stored sideways: upright, it is the other way round
        width, height = height, width
    digest = hashlib.sha256()
    for rendition in renditions:
        digest.update(rendition.data)
    return Picture(tuple(renditions), width, height, image.format or "", digest.hexdigest())


def _refuse(reason: str | None) -> None:
    if reason is not None:
        raise TooManyPixels(reason)


def _open(data: bytes) -> Image.Image:
    """Parse the header only, with our decoders only."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        raise Unsupported(
            f"SVG, HTML and other text or vector formats are not accepted; {_ACCEPTED}"
        )
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif", b"ftyphevc"):
        raise Unsupported(f"HEIC and AVIF pictures are not accepted; {_ACCEPTED}")
    for magic, name in _KNOWN_OTHERS.items():
        if head.startswith(magic):
            raise Unsupported(f"{name} files are not accepted; {_ACCEPTED}")
    try:
        return Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        # Pillow's own, higher, limit (a warning is an error under strict warning filters).
        raise TooManyPixels(f"the picture declares too many pixels; {_ACCEPTED}") from err
    except UnidentifiedImageError as err:
        raise NotAnImage(f"this is not a picture we can read; {_ACCEPTED}") from err
    except Exception as err:
        raise Damaged(f"the picture is damaged or incomplete ({err})") from err


def _check_name(filename: str | None, found: str) -> None:
    claimed = _EXTENSIONS.get(PurePosixPath(filename or "").suffix.lower())
    if claimed and claimed != found:
        raise Mislabelled(
            f"the file is named {PurePosixPath(filename or '').name!r} but contains a "
            f"{found} picture; rename it or save it again as {claimed}"
        )


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block is not worth refusing a picture for
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _draft(image: Image.Image, size: int) -> None:
    """Have libjpeg decode a JPEG at the smallest DCT scale that keeps the square at least
    twice the target, so the final resampling still has detail to average."""
    if image.format == "JPEG":
        scale = 2 * size / min(image.size)
        image.draft(image.mode, (math.ceil(image.width * scale), math.ceil(image.height * scale)))


def _square(image: Image.Image, size: int) -> Image.Image:
    """Centre-crop and scale to size x size, holding one full-size copy at most.

    The square is box-reduced by a whole factor to no less than 3 x size (what Pillow's own
    `reducing_gap=3` does), a strip of rows at a time: each strip is cropped, converted to a
    mode that resamples well and reduced, so no converted full-size copy ever exists.
    """
    image.seek(0)  # the first frame of an animation
    image.load()
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    factor = max(1, side // (3 * size))
    side -= side % factor  # whole blocks only: at most factor - 1 rows and columns lost
    rows = max(factor, _STRIP_PIXELS // side // factor * factor)
    reduced: Image.Image | None = None
    for y in range(0, side, rows):
        box = (left, top + y, left + side, top + min(y + rows, side))
        strip = _resizable(image.crop(box))
        if factor > 1:
            strip = strip.reduce(factor)
        if reduced is None:
            reduced = Image.new(strip.mode, (side // factor, side // factor))
        reduced.paste(strip, (0, y // factor))
    assert reduced is not None
    return reduced.resize((size, size), Image.Resampling.LANCZOS)


def _resizable(image: Image.Image) -> Image.Image:
    """Bring any mode (palette, 16-bit, 1-bit ...) to one that resamples well and keeps alpha."""
    if image.mode in ("RGB", "RGBA", "CMYK", "L", "LA"):
        return image
    if image.mode.startswith("I"):  # 16- or 32-bit grey: keep the top 8 bits, not a clamp
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    has_alpha = image.mode in ("PA", "RGBa", "La") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _colours(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Return sRGB (or sRGBA), honouring an embedded profile: a phone's P3, a print CMYK."""
    target = "RGBA" if image.mode in ("RGBA", "LA") else "RGB"
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=target)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # an unusable or mismatched profile: convert plainly
        if converted is not None and converted.mode == target:
            return converted
    return image if image.mode == target else image.convert(target)


def _encode(image: Image.Image) -> bytes:
    image.info = {}  # nothing from the upload travels on: no EXIF, GPS, XMP or profile
    out = io.BytesIO()
    image.save(out, "WEBP", quality=82, method=4)
    return out.getvalue()
