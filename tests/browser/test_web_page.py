"""The web page in a real browser: management, the live viewer, config changes, errors in words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from camserver.testing.server import RunningServer

pytestmark = pytest.mark.browser

#: a checksum of the image canvas's pixels (every 97th byte)
PICTURE_CHECKSUM = """() => {
  const canvas = document.querySelector("canvas.picture");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let index = 0; index < data.length; index += 97) sum = (sum * 31 + data[index]) >>> 0;
  return sum;
}"""

#: the sign the page writes sizes with ("640 x 480")
TIMES = "\N{MULTIPLICATION SIGN}"

FRAMES_DRAWN_AT_LEAST = "(count) => Number(document.querySelector('#stat-frames')?.textContent) >= count"


def frames_drawn(page: Any) -> int:
    return int(page.locator("#stat-frames").inner_text())


def image_size(page: Any) -> tuple[int, int]:
    match = re.match(rf"(\d+) {TIMES} (\d+)", page.locator("#stat-image").inner_text())
    assert match is not None
    return int(match.group(1)), int(match.group(2))


def test_the_management_page_lists_the_running_instances(page: Any, screenshots: Path) -> None:
    table = page.locator("#instances")
    table.locator('tr[data-key="pipeline/simulation_sp"]').get_by_text("running").wait_for()
    camera = table.locator('tr[data-key="camera/simulation"]')
    assert camera.get_by_role("link", name="View").get_attribute("href") == "#/view/camera/simulation"
    assert camera.get_by_role("button", name="Stop camera simulation").is_enabled()
    # live figures: the pipeline's output rate, refreshed every 2 s, becomes a positive number
    page.wait_for_function(
        "() => Number(document.querySelector('tr[data-key=\"pipeline/simulation_sp\"] td:nth-child(6)')"
        "?.textContent.replace(/,/g, '')) > 0"
    )
    page.screenshot(path=str(screenshots / "management.png"))
    assert (screenshots / "management.png").stat().st_size > 10_000


def test_a_pipeline_from_start_to_stop(page: Any, server: RunningServer, screenshots: Path) -> None:
    # start an instance of a demo pipeline
    page.get_by_role("link", name="Pipelines").click()
    page.get_by_label("Pipeline", exact=True).select_option("simulation_sp")
    page.get_by_label("Instance id (optional)").fill("browser_sp")
    page.get_by_role("button", name="Start instance").click()
    info = page.locator("#info")
    info.get_by_text("Started instance browser_sp").wait_for()
    assert server.services.pipelines.info("browser_sp").active

    # the viewer shows live frames: the canvas changes between frames
    info.get_by_role("link", name="View browser_sp").click()
    page.wait_for_function(FRAMES_DRAWN_AT_LEAST, arg=2)
    first = page.evaluate(PICTURE_CHECKSUM)
    page.wait_for_function(f"(first) => ({PICTURE_CHECKSUM})() !== first", arg=first)
    assert image_size(page) == (640, 480)

    # a new threshold shows up in the processing_parameters of the frames
    page.get_by_label("Threshold (counts below it").fill("150")
    page.get_by_role("button", name="Apply").click()
    parameters = page.locator("#processing-parameters")
    parameters.get_by_text('"image_threshold": 150').wait_for()
    assert server.services.pipelines.instance_config("browser_sp")["image_threshold"] == 150

    # an ROI drawn with the mouse becomes the image size
    page.get_by_label("Draw the region of interest").check()
    box = page.locator("canvas.overlay").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.75, steps=8)
    page.mouse.up()
    page.wait_for_function("() => !document.querySelector('#stat-image').textContent.startsWith('640 ')")
    width, height = image_size(page)
    assert abs(width - 320) <= 3
    assert abs(height - 240) <= 3
    roi = server.services.pipelines.instance_config("browser_sp")["image_region_of_interest"]
    assert roi == [int(page.get_by_label("ROI offset x").input_value()), width,
                   int(page.get_by_label("ROI offset y").input_value()), height]  # fmt: skip
    page.wait_for_function(FRAMES_DRAWN_AT_LEAST, arg=frames_drawn(page) + 2)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots / "viewer.png"))
    assert (screenshots / "viewer.png").stat().st_size > 10_000

    # the server's refusal is shown in words
    page.get_by_role("link", name="Pipelines").click()
    page.get_by_label("Pipeline", exact=True).select_option("simulation_sp")
    page.get_by_label("Instance id (optional)").fill("browser_sp")
    page.get_by_role("button", name="Start instance").click()
    page.locator("#error").get_by_text("Instance 'browser_sp' is already running.").wait_for()
    assert "HTTP 409" in page.locator("#error").inner_text()

    # stop it from the list of instances
    page.get_by_role("link", name="Instances").click()
    page.get_by_role("button", name="Stop pipeline browser_sp").click()
    page.locator("#info").get_by_text("Stopped pipeline instance browser_sp.").wait_for()
    page.locator("#instances").get_by_text("browser_sp", exact=True).wait_for(state="detached")
    assert not any(info.instance_id == "browser_sp" for info in server.services.pipelines.instances())


def test_a_view_the_server_refuses_is_explained_in_words(page: Any) -> None:
    page.goto(page.url.split("#")[0] + "#/view/camera/no_such_camera")
    error = page.locator("#error")
    error.get_by_text("Camera 'no_such_camera' does not exist.").wait_for()
    assert "HTTP 404" in error.inner_text()
    assert page.locator("#viewer-state").inner_text() == "closed"


def test_the_viewer_can_be_driven_by_keyboard(page: Any) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the page content"
    page.goto(page.url.split("#")[0] + "#/view/camera/simulation")
    page.wait_for_function(FRAMES_DRAWN_AT_LEAST, arg=1)
    page.locator("canvas.overlay").focus()
    page.keyboard.press("+")
    page.locator("#stat-shown").get_by_text(f"320 {TIMES} 240 from (160, 120)").wait_for()
    page.keyboard.press("ArrowRight")
    page.locator("#stat-shown").get_by_text(f"320 {TIMES} 240 from (192, 120)").wait_for()
    page.keyboard.press("0")
    page.locator("#stat-shown").get_by_text(f"640 {TIMES} 480 from (0, 0)").wait_for()
    # the colour map is a labelled control reachable without a mouse
    colour_map = page.get_by_label("Colour map")
    colour_map.focus()
    colour_map.select_option("gray")
    page.wait_for_function("() => document.querySelector('#stat-levels') !== null")
    assert colour_map.input_value() == "gray"
