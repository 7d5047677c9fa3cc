"""The web page in a real browser: management, the live viewer, config changes, errors in words."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
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

#: how many pixels of a canvas are not transparent (something was drawn there)
DRAWN_PIXELS = """(selector) => {
  const canvas = document.querySelector(selector);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let index = 3; index < data.length; index += 4) if (data[index] > 0) drawn += 1;
  return drawn;
}"""

#: the sign the page writes sizes with ("640 x 480")
TIMES = "\N{MULTIPLICATION SIGN}"

FRAMES_DRAWN_AT_LEAST = "(count) => Number(document.querySelector('#stat-frames')?.textContent) >= count"

#: whether an element's text no longer starts with a prefix (an element not there yet: not yet)
NO_LONGER_STARTS = """([selector, prefix]) => {
  const element = document.querySelector(selector);
  return element !== null && !element.textContent.startsWith(prefix);
}"""

#: the strip chart of the centre of mass in x
CHART = "document.querySelector('canvas.strip-chart[data-channel=\"x_center_of_mass\"]')"


def frames_drawn(page: Any) -> int:
    return int(page.locator("#stat-frames").text_content())


def image_size(page: Any) -> tuple[int, int]:
    match = re.match(rf"(\d+) {TIMES} (\d+)", page.locator("#stat-image").text_content())
    assert match is not None
    return int(match.group(1)), int(match.group(2))


def open_view(page: Any, kind: str, name: str, frames: int = 1) -> None:
    page.goto(page.url.split("#")[0] + f"#/view/{kind}/{name}")
    page.wait_for_function(FRAMES_DRAWN_AT_LEAST, arg=frames)


def confirm(page: Any, button: str) -> None:
    """Answer the page's confirmation dialog."""
    page.locator("dialog.confirm").get_by_role("button", name=button).click()


def test_the_management_page_lists_the_running_instances(page: Any, screenshots: Path) -> None:
    table = page.locator("#instances")
    table.locator('tr[data-key="pipeline/simulation_sp"]').get_by_text("running").wait_for()
    camera = table.locator('tr[data-key="camera/simulation"]')
    assert camera.get_by_role("link", name="View").get_attribute("href") == "#/view/camera/simulation"
    assert camera.get_by_role("button", name="Stop camera simulation").is_enabled()
    assert camera.get_by_role("button", name="Restart camera simulation").is_enabled()
    node_column = [cell.inner_text() for cell in table.locator("thead th").all()].index("Node")
    assert camera.locator("td").nth(node_column).inner_text() == "local"
    # live figures: the pipeline's output rate, refreshed every 2 s, becomes a positive number
    page.wait_for_function(
        "() => Number(document.querySelector('tr[data-key=\"pipeline/simulation_sp\"] td:nth-child(7)')"
        "?.textContent.replace(/,/g, '')) > 0"
    )
    page.screenshot(path=str(screenshots / "management.png"))
    assert (screenshots / "management.png").stat().st_size > 10_000


def test_the_viewer_shows_axes_colour_bar_histogram_and_the_key_figures_beside_the_image(
    page: Any, screenshots: Path
) -> None:
    open_view(page, "pipeline", "simulation_sp", frames=3)
    # the axes: tick labels drawn left of and under the image, in pixels for an uncalibrated camera
    assert page.evaluate(DRAWN_PIXELS, "canvas.axes") > 500
    # the colour bar: the colour map from the low level (bottom) to the high level (top)
    assert page.evaluate(DRAWN_PIXELS, "canvas.colour-bar") > 2000
    top_colour = page.evaluate(
        """() => { const c = document.querySelector('canvas.colour-bar');
        const r = window.devicePixelRatio || 1;
        const pixel = c.getContext('2d').getImageData(Math.round(8 * r), Math.round(10 * r), 1, 1);
        return Array.from(pixel.data.slice(0, 3)); }"""
    )
    assert top_colour[0] > 200 and top_colour[2] < 60  # rainbow's top is red
    low, high, histogram_high = page.evaluate(
        """() => [document.querySelector('canvas.colour-bar').dataset.low,
        document.querySelector('canvas.colour-bar').dataset.high, document.querySelector('#histogram').dataset.high]"""
    )
    assert float(low) < float(high) == float(histogram_high)  # one frame's levels in both
    # the key figures are next to the image, readable without scrolling at 1400 x 900
    for key in ("x_center_of_mass", "y_center_of_mass", "x_fit_standard_deviation", "intensity"):
        figure = page.locator(f"#key-{key}")
        page.wait_for_function(f"() => /\\d/.test(document.querySelector('#key-{key}')?.textContent)")
        box = figure.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 900, key
    assert page.locator("#key-x_center_of_mass").inner_text().endswith(" px")
    image = page.locator("canvas.overlay").bounding_box()
    assert image["y"] + image["height"] <= 900
    page.screenshot(path=str(screenshots / "viewer.png"))
    assert (screenshots / "viewer.png").stat().st_size > 10_000


def test_automatic_contrast_ignores_a_hot_pixel(page: Any, server: RunningServer) -> None:
    # a camera replaying frames of a beam (peak 3000 counts on 100) with one hot pixel at 60000,
    # from a file in the folder the server reads source files from
    h5py = pytest.importorskip("h5py")
    folder = server.settings.readable_dirs[0]
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    y, x = np.mgrid[:240, :320]
    beam = 100 + 2900 * np.exp(-((x - 160) ** 2 + (y - 120) ** 2) / (2 * 15**2))
    frames = (beam + rng.normal(0, 5, (4, 240, 320))).clip(0).astype(np.uint16)
    frames[:, 30, 40] = 60000
    with h5py.File(folder / "hot.h5", "w") as file:
        file["frames"] = frames
    server.services.cameras.set_config(
        "hot_pixel", {"source": f"{folder / 'hot.h5'}:/frames", "source_type": "hdf5", "frame_rate": 5}
    )
    open_view(page, "camera", "hot_pixel", frames=2)
    page.get_by_role("button", name="Zoom in").click()  # the centre, without the hot pixel...
    page.get_by_role("button", name="Whole image").click()  # ...and the whole frame again, with it
    page.wait_for_function("() => document.querySelector('#stat-shown')?.textContent.startsWith('320 ')")
    histogram = page.locator("#histogram")
    page.wait_for_function("() => Number(document.querySelector('#histogram')?.dataset.max) === 60000")
    high = float(histogram.get_attribute("data-high"))
    assert 2500 < high <= 3100  # the beam's peak sets the scale, not the hot pixel
    assert page.locator("#key-levels").inner_text().endswith("(auto)")
    # the whole range on request: a high percentile of 100 takes the hot pixel in
    page.get_by_label("High %").fill("100")
    page.get_by_label("High %").press("Enter")
    page.wait_for_function("() => Number(document.querySelector('#histogram')?.dataset.high) === 60000")
    server.services.cameras.stop("hot_pixel")


def test_exact_pixel_values_under_the_cursor(page: Any) -> None:
    open_view(page, "camera", "simulation", frames=2)
    box = page.locator("canvas.overlay").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5)
    page.mouse.move(box["x"] + box["width"] * 0.25 + 2, box["y"] + box["height"] * 0.5 + 1)
    page.wait_for_function("() => /value [0-9,]+$/.test(document.querySelector('#readout')?.textContent)")
    readout = page.locator("#readout").inner_text()
    x, y, value = re.match(r"x (\d+), y (\d+): value ([0-9,]+)$", readout).groups()  # type: ignore[union-attr]
    assert 150 <= int(x) <= 170 and 230 <= int(y) <= 250
    assert 0 <= int(value.replace(",", "")) <= 65535


def test_follow_the_beam_zooms_around_the_fit(page: Any) -> None:
    open_view(page, "pipeline", "simulation_sp", frames=2)
    page.get_by_label("Follow the beam").check()
    page.wait_for_function(NO_LONGER_STARTS, arg=["#stat-shown", "640 "])
    shown = page.locator("#stat-shown").text_content()
    width, height, x, y = (
        int(part) for part in re.match(rf"(\d+) {TIMES} (\d+) from \((\d+), (\d+)\)", shown).groups()
    )  # type: ignore[union-attr]
    assert width < 320 and height < 240  # a region around the beam, not the frame
    assert x < 330 < x + width and y < 240 < y + height  # the demo's beam is near the middle


def test_the_strip_charts_advance_pause_and_export_csv(page: Any) -> None:
    open_view(page, "pipeline", "simulation_sp", frames=2)
    chart = page.locator('canvas.strip-chart[data-channel="x_center_of_mass"]')
    chart.scroll_into_view_if_needed()
    page.wait_for_function(f"() => Number({CHART}?.dataset.points) > 20")
    first = float(chart.get_attribute("data-last"))
    page.wait_for_function(
        f"(first) => Number({CHART}?.dataset.last) > first",
        arg=first,
    )
    page.get_by_role("button", name="Pause").click()
    paused = chart.get_attribute("data-last")
    page.wait_for_function(FRAMES_DRAWN_AT_LEAST, arg=frames_drawn(page) + 3)
    assert chart.get_attribute("data-last") == paused  # paused: the chart holds still
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("pulse_id,time,time_s,x_center_of_mass,y_center_of_mass")
    assert len(lines) > 20
    pulses = [int(line.split(",")[0]) for line in lines[1:]]
    assert pulses == sorted(pulses)
    page.get_by_role("button", name="Resume").click()
    page.wait_for_function(
        f"(paused) => {CHART} !== null && {CHART}.dataset.last !== paused",
        arg=paused,
    )


def test_a_pipeline_created_and_edited_from_the_page_runs(page: Any, server: RunningServer) -> None:
    page.get_by_role("link", name="Pipelines", exact=True).click()
    page.get_by_role("link", name="New pipeline").click()
    page.get_by_label("Name", exact=True).fill("browser_made")
    page.get_by_label("Camera", exact=True).select_option("simulation")
    page.get_by_label("Threshold").fill("120")
    page.get_by_label("Threshold").press("Tab")
    assert '"image_threshold": 120' in page.get_by_label("JSON").input_value()
    # the server's models say what is wrong, in words, and nothing is saved
    page.get_by_label("JSON").fill('{"camera_name": "simulation", "image_threshold": "high"}')
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#config-problems").get_by_text("image_threshold").wait_for()
    assert "HTTP 400" in page.locator("#error").inner_text()
    assert "browser_made" not in server.services.pipelines.names()
    page.get_by_label("JSON").fill('{"camera_name": "simulation", "image_threshold": 120, "no_client_timeout": 0}')
    page.get_by_role("button", name="Save and start").click()
    page.locator("#info").get_by_text("started instance browser_made").wait_for()
    assert page.locator("#error").is_hidden()  # the banner cleared after the later success
    assert server.services.pipelines.info("browser_made").active
    page.locator("#info").get_by_role("link", name="View browser_made").click()
    page.wait_for_function(FRAMES_DRAWN_AT_LEAST, arg=2)
    assert '"image_threshold": 120' in page.locator("#processing-parameters").text_content()

    # edit the saved config from the list of pipelines
    page.get_by_role("link", name="Pipelines", exact=True).click()
    page.get_by_role("link", name="Edit pipeline browser_made").click()
    page.wait_for_function("() => document.querySelector('#config-json')?.value.includes('120')")
    page.get_by_label("Threshold").fill("200")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#info").get_by_text(re.compile(r"^Saved pipeline browser_made\. Edit it again$")).wait_for()
    assert server.services.pipelines.config("browser_made").image_threshold == 200

    # copy it, then delete the copy (asked first)
    page.get_by_role("link", name="Pipelines", exact=True).click()
    page.get_by_role("link", name="Copy pipeline browser_made").click()
    page.get_by_label("Name", exact=True).fill("browser_copy")
    page.wait_for_function("() => document.querySelector('#config-json')?.value.includes('200')")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#info").get_by_text("Saved pipeline browser_copy").wait_for()
    page.get_by_role("link", name="Pipelines", exact=True).click()
    page.get_by_role("button", name="Delete pipeline browser_copy").click()
    confirm(page, "Delete")
    page.locator("#info").get_by_text("Deleted pipeline config browser_copy").wait_for()
    assert "browser_copy" not in server.services.pipelines.names()
    server.services.pipelines.delete("browser_made")


@pytest.fixture
def info_logged() -> Iterator[None]:
    """INFO records reach the server's log, as with ``camserver serve`` (the test server runs in
    this process, whose logging pytest sets up)."""
    camserver_logger = logging.getLogger("camserver")
    level = camserver_logger.level
    camserver_logger.setLevel(logging.INFO)
    yield
    camserver_logger.setLevel(level)


@pytest.mark.usefixtures("info_logged")
def test_a_pipeline_from_start_to_stop(page: Any, server: RunningServer) -> None:
    # start an instance of a demo pipeline
    page.get_by_role("link", name="Pipelines", exact=True).click()
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
    page.wait_for_function(
        "() => document.querySelector('#processing-parameters')?.textContent.includes('\"image_threshold\": 150')"
    )
    assert server.services.pipelines.instance_config("browser_sp")["image_threshold"] == 150

    # an ROI drawn with the mouse becomes the image size
    page.get_by_label("Draw the region of interest").check()
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator("canvas.overlay").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.75, steps=8)
    page.mouse.up()
    page.wait_for_function(NO_LONGER_STARTS, arg=["#stat-image", "640 "])
    width, height = image_size(page)
    assert abs(width - 320) <= 3
    assert abs(height - 240) <= 3
    roi = server.services.pipelines.instance_config("browser_sp")["image_region_of_interest"]
    assert roi == [int(page.get_by_label("ROI offset x").input_value()), width,
                   int(page.get_by_label("ROI offset y").input_value()), height]  # fmt: skip

    # the server's refusal is shown in words; a later success clears it
    page.get_by_role("link", name="Pipelines", exact=True).click()
    page.get_by_label("Pipeline", exact=True).select_option("simulation_sp")
    page.get_by_label("Instance id (optional)").fill("browser_sp")
    page.get_by_role("button", name="Start instance").click()
    page.locator("#error").get_by_text("Instance 'browser_sp' is already running.").wait_for()
    assert "HTTP 409" in page.locator("#error").inner_text()
    page.get_by_label("Instance id (optional)").fill("browser_sp2")
    page.get_by_role("button", name="Start instance").click()
    info.get_by_text("Started instance browser_sp2").wait_for()
    assert page.locator("#error").is_hidden()

    # stop them from the list of instances, after confirming
    page.get_by_role("link", name="Instances", exact=True).click()
    page.get_by_role("button", name="Stop pipeline browser_sp", exact=True).click()
    confirm(page, "Cancel")
    assert server.services.pipelines.info("browser_sp").active  # not confirmed: still running
    page.get_by_role("button", name="Stop pipeline browser_sp", exact=True).click()
    confirm(page, "Stop")
    page.locator("#info").get_by_text("Stopped pipeline instance browser_sp.").wait_for()
    page.locator("#instances").get_by_text("browser_sp", exact=True).wait_for(state="detached")
    assert not any(info.instance_id == "browser_sp" for info in server.services.pipelines.instances())
    server.services.pipelines.delete("browser_sp2")

    # the server log tells every start and stop, with the exit
    page.get_by_role("link", name="Server log").click()
    page.get_by_label("Show only records containing").fill("pipeline/browser_sp:")
    log = page.locator("#log")
    log.get_by_text("stop requested").first.wait_for()
    log.get_by_text(re.compile(r"running \(process \d+\), streaming on")).first.wait_for()
    log.get_by_text(re.compile(r"ended \(stopped\) with exit code 0")).first.wait_for()


def test_a_missing_instance_is_shown_as_missing(page: Any) -> None:
    page.goto(page.url.split("#")[0] + "#/view/camera/no_such_camera")
    error = page.locator("#error")
    error.get_by_text("Camera 'no_such_camera' does not exist.").wait_for()
    assert "HTTP 404" in error.inner_text()
    page.locator("#viewer-state").get_by_text("missing").wait_for()
    waiting = page.locator("#viewer-waiting")
    assert "does not exist" in waiting.inner_text()
    assert "Waiting for the first frame" not in waiting.inner_text()
    assert page.get_by_role("button", name="Stop instance").is_disabled()
    assert page.get_by_role("button", name="Restart").is_disabled()


def test_the_grid_shows_several_live_views(page: Any, screenshots: Path) -> None:
    page.get_by_role("link", name="Side by side").click()
    for choice in (
        "camera/simulation",
        "pipeline/simulation_sp",
        "camera/simulation_large",
        "pipeline/simulation_large_sp",
    ):
        page.get_by_label("Camera or pipeline").select_option(choice)
        page.get_by_role("button", name="Add view").click()
        page.locator(f'section.grid-cell[aria-label="{choice.replace("/", " ")}"]').wait_for()
    cells = page.locator("section.grid-cell")
    assert cells.count() == 4
    page.wait_for_function(
        "() => [...document.querySelectorAll('section.grid-cell')].every((cell) => Number(cell.dataset.frames) >= 3)"
    )
    rates = page.locator("section.grid-cell select")
    rates.nth(0).select_option("1")
    assert "camera/simulation,pipeline/simulation_sp" in page.url  # the grid is in the address
    page.screenshot(path=str(screenshots / "grid.png"))
    assert (screenshots / "grid.png").stat().st_size > 10_000


def test_no_request_leaves_the_servers_address(browser_context: Any, server: RunningServer) -> None:
    tab = browser_context.new_page()
    requests: list[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.on("websocket", lambda socket: requests.append(socket.url))
    try:
        tab.goto(f"{server.url}/")
        for route in ("#/instances", "#/cameras", "#/pipelines", "#/logs", "#/new/pipeline",
                      "#/grid/camera/simulation", "#/view/pipeline/simulation_sp"):  # fmt: skip
            tab.goto(f"{server.url}/{route}")
            tab.wait_for_load_state("networkidle") if "view" not in route and "grid" not in route else None
        tab.wait_for_function(FRAMES_DRAWN_AT_LEAST, arg=2)
    finally:
        tab.close()
    host = server.url.split("://", 1)[1]
    assert requests
    outside = [
        url
        for url in requests
        if not re.match(rf"^(https?|wss?)://{re.escape(host)}/", url) and not url.startswith(("data:", "blob:"))
    ]
    assert outside == []


def test_the_viewer_can_be_driven_by_keyboard(page: Any) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the page content"
    open_view(page, "camera", "simulation")
    page.locator("canvas.overlay").focus()
    shown = page.locator("#stat-shown")
    page.keyboard.press("+")
    page.wait_for_function(
        f"() => document.querySelector('#stat-shown')?.textContent === '320 {TIMES} 240 from (160, 120)'"
    )
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        f"() => document.querySelector('#stat-shown')?.textContent === '320 {TIMES} 240 from (192, 120)'"
    )
    page.keyboard.press("0")
    page.wait_for_function(
        f"() => document.querySelector('#stat-shown')?.textContent.startsWith('640 {TIMES} 480 from (0, 0)')"
    )
    assert shown.text_content().startswith(f"640 {TIMES} 480")
    # the colour map is a labelled control reachable without a mouse
    colour_map = page.get_by_label("Colour map")
    colour_map.focus()
    colour_map.select_option("gray")
    page.wait_for_function("() => /\\d/.test(document.querySelector('#key-levels')?.textContent)")
    assert colour_map.input_value() == "gray"
