"""report.html in a real browser: headless Chromium at phone and desktop widths.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
no port, and host names resolve nowhere), because only the protocol can set a
viewport narrower than headless Chromium's 500-pixel minimum window. The test
loads the page unchanged, collects every error the browser reports (script
exceptions, console errors, failed loads) and every request, measures the laid-out
page with a script, saves a full-page screenshot, then clicks a municipality on the
map as a user would and checks that its evidence opened. Screenshots go to the
test's folder and to ``SHOT_DIR`` for people to look at.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mrp_classify.inference.municipalities import municipalities
from mrp_classify.inference.report import write_report
from tests.test_report import CITIZEN, INTERNAL, NONE, document, standard_docs, write_output

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOT_DIR = Path("/tmp/report-shots")
SMALL_PHONE, PHONE, DESKTOP = 360, 390, 1280
CARDS_UP_TO = 1100  # report.css: narrower than this, breakdown rows are cards
MIN_TEXT_PX = 11
MAX_SHOT_HEIGHT = 16_000
CREATED = "2025-03-14T09:30:00+01:00"
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
    "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
    "--disable-extensions", "--disable-background-networking", "--disable-sync",
    "--disable-component-update", "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)

# Figures of the laid-out page, as JSON, for a window ``width`` pixels wide: a phone
# browser widens its viewport to fit content that overflows, so innerWidth alone can hide it.
MEASURE = """(function (width) {
  var root = document.documentElement, r = {};
  r.lang = root.lang;
  r.innerWidth = window.innerWidth;
  r.scrollWidth = Math.max(root.scrollWidth, document.body.scrollWidth);
  // What sticks out past the right edge, outside the containers that scroll on purpose
  // (and inside an <svg>, which clips its drawing to its box).
  r.overflowing = [];
  document.querySelectorAll("body *").forEach(function (el) {
    if (el.closest(".scroll, script, style") || el.parentElement.closest("svg")) { return; }
    var box = el.getBoundingClientRect();
    if (box.width && box.right > width + 0.5 && r.overflowing.length < 8) {
      r.overflowing.push(el.tagName.toLowerCase() + "." + el.getAttribute("class") + " "
        + Math.round(box.right));
    }
  });
  r.mapPaths = document.querySelectorAll("svg.defs path[id^=k]").length;
  var map = document.querySelector("figure.map > svg");
  r.mapShapes = map ? map.querySelectorAll(".shapes use").length : 0;
  r.mapWidth = map ? map.getBoundingClientRect().width : 0;
  // The smallest text on screen in CSS pixels, SVG text as scaled with its drawing.
  r.minFont = 1e9; r.minFontAt = "";
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (var node = walker.nextNode(); node; node = walker.nextNode()) {
    var el = node.parentElement;
    if (!node.textContent.trim() || el.closest("script, style, title")) { continue; }
    if (!el.getClientRects().length) { continue; }  // inside a closed <details>
    var size = parseFloat(getComputedStyle(el).fontSize);
    if (el.closest("svg")) {
      var ctm = el.getScreenCTM();
      size *= ctm ? Math.abs(ctm.a) : 1;
    }
    if (size < r.minFont) {
      r.minFont = size; r.minFontAt = el.tagName + " " + node.textContent.trim().slice(0, 40);
    }
  }
  // The breakdowns' tables (those laid out: not in a closed <details>): whether they fit
  // their box without scrolling, how their rows are laid out (cards are grids), what sticks
  // out of a cell, and the column names the cards show, which the text walk cannot see.
  r.breakdownTables = 0; r.breakdownWide = []; r.breakdownRows = {}; r.outOfCell = [];
  r.unlabelled = 0; r.minLabelFont = 1e9;
  document.querySelectorAll("#breakdowns table.breakdown").forEach(function (table) {
    if (table.closest("details:not([open])")) { return; }
    r.breakdownTables += 1;
    var box = table.closest(".scroll");
    if (box.scrollWidth > box.clientWidth + 0.5) {
      r.breakdownWide.push(table.className + " " + box.scrollWidth + ">" + box.clientWidth);
    }
    var rowDisplay = getComputedStyle(table.tBodies[0].rows[0]).display;
    r.breakdownRows[rowDisplay] = true;
    table.querySelectorAll("td").forEach(function (td) {
      var right = td.getBoundingClientRect().right;
      td.querySelectorAll("*").forEach(function (el) {
        if (el.getBoundingClientRect().right > right + 0.5 && r.outOfCell.length < 8) {
          r.outOfCell.push(el.textContent.slice(0, 40));
        }
      });
      if (rowDisplay !== "grid" || !td.hasAttribute("data-label")) { return; }
      var label = getComputedStyle(td, "::before");
      if (label.content === "none" || label.content === '""') { r.unlabelled += 1; }
      r.minLabelFont = Math.min(r.minLabelFont, parseFloat(label.fontSize));
    });
  });
  r.pageHeight = Math.max(root.scrollHeight, document.body.scrollHeight);
  return JSON.stringify(r);
})"""

# A point on the main map where a click lands on a municipality with evidence (the largest
# on screen), in the viewport after scrolling it into view; null if there is none.
CLICK_POINT = """(function () {
  function area(link) {
    var b = link.querySelector("use").getBoundingClientRect();
    return b.width * b.height;
  }
  var links = Array.prototype.slice.call(document.querySelectorAll("figure.map > svg a"));
  links.sort(function (a, b) { return area(b) - area(a); });
  for (var k = 0; k < links.length; k++) {
    var link = links[k], shape = link.querySelector("use");
    shape.scrollIntoView({block: "center"});
    var b = shape.getBoundingClientRect();
    for (var i = 1; i < 10; i++) {
      for (var j = 1; j < 10; j++) {
        var x = b.left + b.width * i / 10, y = b.top + b.height * j / 10;
        var hit = document.elementFromPoint(x, y);
        if (hit && hit.closest("a") === link) {
          return JSON.stringify({x: x, y: y, target: link.getAttribute("href").slice(1)});
        }
      }
    }
  }
  return "null";
})()"""


class Chromium:
    """One headless Chromium, spoken to over its DevTools pipe (fd 3 in, fd 4 out)."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        commands_in, self._commands = _above_4(os.pipe())
        self._replies, replies_out = _above_4(os.pipe())

        def on_fds_3_and_4() -> None:  # in the child; dup2 leaves the copies inheritable
            os.dup2(commands_in, 3)
            os.dup2(replies_out, 4)

        # Its log goes to a file: a pipe nobody reads would fill and stall the browser.
        self._log = profile / "chromium.log"
        with open(self._log, "wb") as log:
            self.process = subprocess.Popen(
                [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                preexec_fn=on_fds_3_and_4, close_fds=False,
            )
        os.close(commands_in)
        os.close(replies_out)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "",
             timeout: float = 90) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._next(deadline, method)
            if reply.get("id") == self._id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method and e.get("sessionId") == session
                      for e in self.events):
            self.events.append(self._next(deadline, method))

    def _next(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._replies], [], [], max(left, 0))
            assert ready, f"chromium: no answer to {waiting_for}"
            chunk = os.read(self._replies, 1 << 20)
            assert chunk, f"chromium ended: {self._stderr()}"
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def _stderr(self) -> str:
        self.process.kill()
        self.process.wait()
        return self._log.read_text(errors="replace")[-2000:]

    def close(self) -> None:
        with contextlib.suppress(AssertionError, OSError):  # already gone
            self.send("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)


def _above_4(fds: tuple[int, int]) -> tuple[int, int]:
    """The pipe's ends moved above fd 4, so that putting them at 3 and 4 clobbers neither."""
    moved = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds)
    for fd in fds:
        os.close(fd)
    return moved[0], moved[1]


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    browser = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield browser
    finally:
        browser.close()


def evaluate(browser: Chromium, session: str, expression: str) -> Any:
    reply = browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                         session)
    assert "exceptionDetails" not in reply, reply["exceptionDetails"]
    return json.loads(reply["result"]["value"])


def look(browser: Chromium, page: Path, width: int, shot: str) -> dict[str, Any]:
    """Open ``page`` in a new tab ``width`` CSS pixels wide; return its figures, the errors
    and requests seen and what a click on the map opened; save a screenshot as ``shot``."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target,
                                                     "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session=session)
    # A phone: its meta viewport applies, as on the device.
    browser.send("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 800}, session)
    url = page.as_uri()
    browser.send("Page.navigate", {"url": url}, session)
    browser.wait_for("Page.loadEventFired", session)
    result: dict[str, Any] = evaluate(browser, session, f"{MEASURE}({width})")

    height = min(result["pageHeight"], MAX_SHOT_HEIGHT)
    image = browser.send("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}, session)
    path = page.with_name(shot)
    path.write_bytes(base64.b64decode(image["data"]))
    try:
        SHOT_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SHOT_DIR / shot)
    except OSError:
        pass  # the copy is for people; the test's own file is the one it checks

    point = evaluate(browser, session, CLICK_POINT)
    result["clicked"] = point and point["target"]
    if point:
        opened = f'document.getElementById("{point["target"]}").open'
        result["openBefore"] = evaluate(browser, session, f"JSON.stringify({opened})")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            browser.send("Input.dispatchMouseEvent", {
                "type": kind, "x": point["x"], "y": point["y"], "button": "left",
                "clickCount": 1}, session)
        deadline = time.monotonic() + 5
        while not evaluate(browser, session, f"JSON.stringify({opened})"):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        result["openAfter"] = evaluate(browser, session, f"JSON.stringify({opened})")
        result["hash"] = evaluate(browser, session, "JSON.stringify(location.hash)")

    mine = [e for e in browser.events if e.get("sessionId") == session]
    result["errors"] = [_error(e) for e in mine if _error(e)]
    result["requests"] = [e["params"]["request"]["url"] for e in mine
                          if e.get("method") == "Network.requestWillBeSent"
                          and e["params"]["request"]["url"].split("#")[0] != url]
    browser.send("Target.closeTarget", {"targetId": target})
    return result


def _error(event: dict[str, Any]) -> str:
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        return f"exception: {details.get('exception', {}).get('description') or details['text']}"
    if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
        return f"console: {[a.get('value') for a in params['args']]}"
    if method == "Log.entryAdded" and params["entry"]["level"] == "error":
        return f"log: {params['entry']['text']}"
    return ""


def low_coverage_report(out: Path, lang: str) -> Path:
    """The report tests' run: 4 of 290 municipalities, a failed and an unmatched document;
    most breakdown groups without a plan."""
    return write_report(write_output(out, standard_docs(), scanned="2584"), lang=lang,
                        created=CREATED)


def full_coverage_report(out: Path, lang: str) -> Path:
    """Every municipality, two years: the study's table, and intervals in every group."""
    plans = ([NONE] * 30, [NONE] * 30 + [INTERNAL] * 2, [NONE] * 30 + [CITIZEN, INTERNAL])
    docs = [document(code, year, plans[(index + year) % 3])
            for index, code in enumerate(sorted(municipalities()))
            for year in (2024, 2025)]
    return write_report(write_output(out, docs), lang=lang, created=CREATED)


def check(result: dict[str, Any], width: int, lang: str, breakdown_tables: int) -> None:
    assert result["lang"] == lang
    assert result["errors"] == []
    assert result["requests"] == []
    assert result["scrollWidth"] <= width, result["overflowing"]
    assert result["overflowing"] == []
    assert result["innerWidth"] == width
    assert result["mapPaths"] == 290
    assert result["mapShapes"] == 290
    assert 0 < result["mapWidth"] <= width
    assert result["minFont"] >= MIN_TEXT_PX, result["minFontAt"]
    assert result["clicked"], "no municipality on the map to click"
    assert (result["openBefore"], result["openAfter"]) == (False, True)
    assert result["hash"] == f"#{result['clicked']}"
    # The breakdowns: the study's table (all 290 counted) and five group tables, which fit
    # without scrolling: cards that name their columns below CARDS_UP_TO, else tables.
    assert result["breakdownTables"] == breakdown_tables
    assert result["breakdownWide"] == []
    assert result["outOfCell"] == []
    assert result["breakdownRows"] == {"grid" if width <= CARDS_UP_TO else "table-row": True}
    if width <= CARDS_UP_TO:
        assert result["unlabelled"] == 0
        assert result["minLabelFont"] >= MIN_TEXT_PX


@pytest.mark.parametrize(("lang", "width"), [("sv", SMALL_PHONE), ("sv", PHONE), ("sv", DESKTOP),
                                           ("en", SMALL_PHONE)])
def test_low_coverage_report(chromium: Chromium, tmp_path: Path, lang: str, width: int) -> None:
    page = low_coverage_report(tmp_path / "out", lang)
    check(look(chromium, page, width, f"report-{lang}-{width}.png"), width, lang, 5)


@pytest.mark.parametrize(("lang", "width"), [("en", PHONE), ("sv", SMALL_PHONE), ("en", DESKTOP)])
def test_full_coverage_report(chromium: Chromium, tmp_path: Path, lang: str, width: int) -> None:
    page = full_coverage_report(tmp_path / "out", lang)
    check(look(chromium, page, width, f"report-full-{lang}-{width}.png"), width, lang, 6)
