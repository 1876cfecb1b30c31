"""A picture uploaded through one instance shows on pages that the other instance serves."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Locator, expect

from .conftest import PlayerFactory
from .stack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.stack, pytest.mark.xdist_group("e2e")]

RED = (200, 30, 40)


def red_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), RED).save(out, "PNG")
    return out.getvalue()


def shows_picture(img: Locator, player: str) -> str:
    """Check `img` shows `player`'s uploaded picture (not the default), loaded; return its URL."""
    picture = re.compile(rf"/avatars/{player.lower()}/[0-9a-f]{{64}}-[0-9a-f]{{12}}/\d+\.webp$")
    expect(img).to_have_attribute("src", picture)
    img.page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=img.element_handle())
    return str(img.get_attribute("src"))


def test_a_picture_uploaded_on_one_instance_shows_on_the_other(
    whole_stack: Stack, players: PlayerFactory, artifacts: Path
) -> None:
    one, other = whole_stack.instances
    uploader, viewer = players(one.url), players(other.url)
    uploader.sign_up()
    viewer.sign_up()

    uploader.page.goto("/profile")  # served by the first instance
    uploader.page.get_by_label("Choose a picture").set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": red_png()}]
    )
    uploader.page.get_by_role("button", name="Upload").click()
    expect(uploader.page.get_by_role("status")).to_have_text("Your new picture is in place.")
    uploader.invite(viewer)

    viewer.page.goto("/")  # served by the second instance
    row = viewer.page.locator(".row", has_text=f"{uploader.name} invited you")
    src = shows_picture(row.locator("img.picture"), uploader.name)
    picture = viewer.context.request.get(src)
    assert picture.status == 200 and picture.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(picture.body())) as image:
        centre = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    assert all(abs(c - r) < 16 for c, r in zip(centre, RED, strict=True)), centre

    viewer.accept(uploader)  # the game page, from the second instance, shows it too
    beside_name = viewer.page.locator(".players .player", has_text=uploader.name)
    shows_picture(beside_name.locator("img.picture"), uploader.name)
    viewer.screenshot(artifacts / "picture-other-instance.png")
    assert uploader.failures == viewer.failures == []
