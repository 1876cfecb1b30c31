"""Picture processing, pure: every picture here is made with Pillow by the test itself."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from PIL import Image, ImageChops

from tictactoe.adapters import pillow
from tictactoe.rules import decoding

RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 200, 20)


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def decoded(rendition: pillow.Rendition) -> Image.Image:
    image = Image.open(io.BytesIO(rendition.data))
    image.load()
    return image


def near(pixel: tuple[int, ...], colour: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


def halves(width: int, height: int, top: tuple[int, ...], bottom: tuple[int, ...]) -> Image.Image:
    image = Image.new("RGB", (width, height), top)
    image.paste(bottom, (0, height // 2, width, height))
    return image


def png_header_only(width: int, height: int, depth: int = 1, colour: int = 0) -> bytes:
    """A PNG that declares width x height pixels, its rows all zero (compresses to KBs)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    row = b"\x00" * (1 + (width * channels * depth + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_a_large_photo_becomes_two_square_webp_renditions() -> None:
    photo = encode(halves(4000, 3000, RED, BLUE), "JPEG", quality=90)
    picture = pillow.process(photo, "holiday.jpg")
    assert [r.size for r in picture.renditions] == [256, 64]
    for rendition in picture.renditions:
        image = decoded(rendition)
        assert image.format == "WEBP"
        assert image.size == (rendition.size, rendition.size)
    assert (picture.width, picture.height, picture.source_format) == (4000, 3000, "JPEG")
    assert picture.content_type == "image/webp"
    big = decoded(picture.renditions[0]).convert("RGB")
    assert near(big.getpixel((128, 20)), RED) and near(big.getpixel((128, 236)), BLUE)


def test_the_same_picture_always_gets_the_same_digest() -> None:
    photo = encode(halves(800, 600, RED, BLUE), "JPEG")
    assert pillow.process(photo).digest == pillow.process(photo).digest
    other = encode(halves(800, 600, BLUE, RED), "JPEG")
    assert pillow.process(other).digest != pillow.process(photo).digest


def test_exif_orientation_is_applied_and_all_metadata_stripped() -> None:
    # Stored landscape, red on top; orientation 6 says "turn 90 degrees clockwise to view",
    # so upright the picture is portrait with red on the right.
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "SecretPhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    photo = encode(halves(300, 200, RED, BLUE), "JPEG", exif=exif)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the input does carry GPS

    picture = pillow.process(photo, "IMG_0001.JPG")

    assert (picture.width, picture.height) == (200, 300)
    for rendition in picture.renditions:
        assert b"SecretPhoneMaker" not in rendition.data
        assert b"Exif" not in rendition.data and b"XMP" not in rendition.data
        image = decoded(rendition)
        assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
    upright = decoded(picture.renditions[0]).convert("RGB")
    assert near(upright.getpixel((226, 128)), RED)
    assert near(upright.getpixel((30, 128)), BLUE)


@pytest.mark.parametrize("orientation", [3, 8])
def test_other_orientations_turn_the_right_way(orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    photo = encode(halves(300, 300, RED, BLUE), "JPEG", exif=exif)
    upright = decoded(pillow.process(photo).renditions[0]).convert("RGB")
    if orientation == 3:  # upside down: red at the bottom once upright
        assert near(upright.getpixel((128, 236)), RED) and near(upright.getpixel((128, 20)), BLUE)
    else:  # 8: turn 90 degrees anticlockwise: red (the top) goes to the left
        assert near(upright.getpixel((20, 128)), RED) and near(upright.getpixel((236, 128)), BLUE)


def test_cmyk_jpeg_works() -> None:
    photo = encode(Image.new("CMYK", (500, 400), (0, 255, 255, 0)), "JPEG")
    image = decoded(pillow.process(photo).renditions[0])
    assert image.mode == "RGB"
    assert near(image.getpixel((128, 128)), (255, 0, 0))


def test_16_bit_png_keeps_its_grey_instead_of_clipping_to_white() -> None:
    grey16 = Image.new("I;16", (300, 300), 40000)  # 40000 / 65535 is about 156 of 255
    picture = pillow.process(encode(grey16, "PNG"), "scan.png")
    assert near(decoded(picture.renditions[0]).convert("RGB").getpixel((128, 128)), (156,) * 3, 8)


def test_palette_with_transparency_keeps_its_transparency() -> None:
    image = Image.new("P", (300, 300), 0)
    image.putpalette([0, 0, 0, *GREEN] + [0] * 762)
    image.paste(1, (150, 0, 300, 300))
    picture = pillow.process(encode(image, "PNG", transparency=0))
    out = decoded(picture.renditions[0])
    assert out.mode == "RGBA"
    assert out.getpixel((20, 128))[3] == 0
    assert out.getpixel((236, 128))[3] == 255 and near(out.getpixel((236, 128))[:3], GREEN)


def test_alpha_png_and_webp_input_work() -> None:
    image = Image.new("RGBA", (300, 200), (*RED, 128))
    for fmt in ("PNG", "WEBP"):
        out = decoded(pillow.process(encode(image, fmt)).renditions[1])
        assert out.mode == "RGBA" and abs(out.getpixel((32, 32))[3] - 128) <= 2


def test_an_animated_gif_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (200, 200), colour) for colour in (RED, GREEN, BLUE)]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(gif)).n_frames == 3
    image = decoded(pillow.process(gif, "party.gif").renditions[0]).convert("RGB")
    assert near(image.getpixel((128, 128)), RED)


@pytest.mark.parametrize("width, height", [(8000, 6000), (30000, 30000)])
def test_a_decompression_bomb_is_refused_from_its_header(width: int, height: int) -> None:
    bomb = png_header_only(width, height)
    assert len(bomb) < 200_000
    with pytest.raises(pillow.TooManyPixels, match="pixels"):
        pillow.process(bomb, "small.png")


def test_a_picture_at_the_limit_is_not_a_bomb() -> None:
    # 2000 x 1000 declared, rows of zeros: decodes fine (and black).
    picture = pillow.process(png_header_only(2000, 1000))
    assert decoded(picture.renditions[1]).convert("L").getpixel((32, 32)) < 10


def test_a_truncated_jpeg_is_damaged() -> None:
    photo = encode(halves(1200, 900, RED, BLUE), "JPEG", quality=95)
    with pytest.raises(pillow.Damaged, match="damaged or incomplete"):
        pillow.process(photo[: len(photo) * 6 // 10], "cut.jpg")


def test_text_named_png_is_not_an_image() -> None:
    with pytest.raises(pillow.NotAnImage, match="JPEG, PNG, WebP or GIF"):
        pillow.process(b"hello, I am really a text file\n" * 20, "picture.png")


def test_an_extension_that_lies_is_refused() -> None:
    photo = encode(halves(300, 300, RED, BLUE), "JPEG")
    with pytest.raises(pillow.Mislabelled, match="contains a JPEG"):
        pillow.process(photo, "picture.png")
    assert pillow.process(photo, "PICTURE.JPEG").renditions  # the right name, any case


@pytest.mark.parametrize(
    "body",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
        b"<!doctype html><html><body>hi</body></html>",
    ],
)
def test_svg_and_other_text_formats_are_unsupported(body: bytes) -> None:
    with pytest.raises(pillow.Unsupported, match="SVG"):
        pillow.process(body, "drawing.svg")


@pytest.mark.parametrize(
    "body, name",
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
        (encode(Image.new("RGB", (10, 10)), "BMP"), "BMP"),
        (encode(Image.new("RGB", (10, 10)), "TIFF"), "TIFF"),
    ],
)
def test_other_real_formats_are_named_in_the_refusal(body: bytes, name: str) -> None:
    with pytest.raises(pillow.Unsupported, match=name):
        pillow.process(body)


def test_empty_and_oversized_uploads_are_refused() -> None:
    with pytest.raises(pillow.NotAnImage):
        pillow.process(b"")
    with pytest.raises(pillow.TooLarge, match="5 MiB"):
        pillow.process(b"\xff\xd8" + b"\x00" * pillow.MAX_BYTES)


def test_the_issues_16_bit_png_is_refused_saying_the_limit() -> None:
    # 6324 x 6324 16-bit grey zeros: under 40 MP, about 78 KB, but 80 MB decoded.
    bomb = png_header_only(6324, 6324, depth=16)
    assert len(bomb) < 100_000
    with pytest.raises(pillow.TooManyPixels) as refused:
        pillow.process(bomb, "zeros.png")
    assert "6324 x 6324" in str(refused.value) and "16-bit grey PNG" in str(refused.value)
    assert "at most 33.6 megapixels" in str(refused.value)


def test_the_budget_follows_the_decoded_mode() -> None:
    # The same 4500 x 4500 is fine in a palette and too much as RGBA (4 bytes a pixel).
    assert pillow.process(png_header_only(4500, 4500, depth=8, colour=0)).renditions
    with pytest.raises(pillow.TooManyPixels, match="RGBA PNG: at most 16.8 megapixels"):
        pillow.process(png_header_only(4500, 4500, depth=8, colour=6))


def webp_header(width: int, height: int) -> bytes:
    """The start of an extended WebP declaring a width x height canvas (nothing after)."""
    vp8x = (
        b"\x10\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    )
    return (
        b"RIFF"
        + (4 + 8 + len(vp8x)).to_bytes(4, "little")
        + b"WEBPVP8X"
        + (10).to_bytes(4, "little")
        + vp8x
    )


def test_a_webp_canvas_over_the_budget_is_refused_before_pillow_allocates_it() -> None:
    with pytest.raises(pillow.TooManyPixels, match="16383 x 16383 pixels.*WebP"):
        pillow.process(webp_header(16383, 16383))
    with pytest.raises(pillow.TooManyPixels, match="at most 5.6 megapixels"):
        pillow.process(webp_header(3000, 3000))


def test_a_progressive_jpeg_counts_its_full_size_coefficients() -> None:
    # Baseline, 3000 x 3000 CMYK decodes at 1/8 scale; progressive, libjpeg keeps every
    # coefficient at full size (8 bytes a pixel for CMYK): 72 MB, over the budget.
    cmyk = Image.new("CMYK", (3000, 3000), (0, 255, 255, 0))
    assert pillow.process(encode(cmyk, "JPEG")).renditions
    with pytest.raises(pillow.TooManyPixels, match="progressive CMYK JPEG"):
        pillow.process(encode(cmyk, "JPEG", progressive=True))


def test_an_animation_of_too_many_frames_is_refused() -> None:
    first = encode(Image.new("P", (20, 20), 0), "GIF")[:-1]
    tiny = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    assert pillow.process(first + tiny * (decoding.MAX_FRAMES - 1) + b";").renditions
    with pytest.raises(pillow.TooManyPixels, match="1001 frames; at most 1000"):
        pillow.process(first + tiny * decoding.MAX_FRAMES + b";")


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "I;16"])
def test_strip_by_strip_reduction_matches_a_whole_picture_resize(mode: str) -> None:
    # Black at the top to white at the bottom, 2400 x 1800: reduced by 3 in strips of rows,
    # no seam may show between them.
    ramp = Image.linear_gradient("L").resize((2400, 1800))
    image = (
        ramp.convert("I").point(lambda v: v * 257).convert("I;16")
        if mode == "I;16"
        else (ramp.convert(mode) if mode != "P" else ramp.convert("RGB").quantize(256))
    )
    ours = decoded(pillow.process(encode(image, "PNG")).renditions[0]).convert("L")
    grey = ramp.convert("L")
    reference = grey.resize(
        (256, 256), Image.Resampling.LANCZOS, box=(300, 0, 2100, 1800), reducing_gap=3.0
    )
    worst = ImageChops.difference(ours, reference).getextrema()[1]
    assert worst <= 6
