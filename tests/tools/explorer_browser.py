"""Opening explorer pages in Debian's headless Chromium through playwright (never a downloaded browser).

Used by the browser tests, by `benchmarks/explorer.py`, and run as a script to regenerate the README's
screenshot with the same code the tests use:

    python tests/tools/explorer_browser.py docs/explorer.png
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}
READY = "body[data-ready='1']"
# The screenshot's moment: forktree once its first processes have exited and sit as zombies.
SCREENSHOT_PROGRAM, SCREENSHOT_PID = "forktree", 5


def chromium_path():
    """The system Chromium's path, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch(playwright):
    """Starts the system Chromium headless through playwright; returns the Browser."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


class OpenPage:
    """An explorer page opened from its file:// URL, with what went wrong on it: errors in its console,
    uncaught exceptions, and every request for anything but the file itself or a data: URL."""

    def __init__(self, browser, path):
        self.url = Path(path).resolve().as_uri()
        self.problems = []
        self.page = browser.new_page(viewport=VIEWPORT)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append("uncaught: %s" % exc))
        self.page.on("request", self._request)
        self.page.route("**/*", self._route)
        self.page.goto(self.url)
        self.page.wait_for_selector(READY)

    def _console(self, message):
        if message.type in ("error", "warning"):
            self.problems.append("console %s: %s" % (message.type, message.text))

    def _allowed(self, url):
        return url == self.url or url.startswith("data:")

    def _request(self, request):
        if not self._allowed(request.url):
            self.problems.append("request: %s" % request.url)

    def _route(self, route):
        if self._allowed(route.request.url):
            route.continue_()
        else:
            route.abort()

    def cursor(self):
        """The time the page's cursor is at."""
        return int(self.page.get_attribute("body", "data-cursor"))

    def move_cursor(self, t):
        """Drags the time cursor (the range input) to t, as a user's drag would end."""
        self.page.fill("#cursor", str(t))

    def select(self, pid):
        """Clicks pid's timeline label."""
        self.page.click('#labels .row[data-pid="%d"]' % pid)

    def close(self):
        self.page.close()


def pixel_variance(page, png):
    """The variance of the grey levels of a PNG image (0 for a blank image), decoded by the browser in
    page, any open page: the image is drawn on a canvas that is never added to it."""
    import base64
    return page.evaluate("""async (src) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        const canvas = document.createElement("canvas");
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext("2d");
        ctx.drawImage(img, 0, 0);
        const data = ctx.getImageData(0, 0, img.width, img.height).data;
        let sum = 0, squares = 0;
        for (let i = 0; i < data.length; i += 4) {
            const v = (data[i] + data[i + 1] + data[i + 2]) / 3;
            sum += v;
            squares += v * v;
        }
        const n = data.length / 4, mean = sum / n;
        return squares / n - mean * mean;
    }""", "data:image/png;base64," + base64.b64encode(png).decode())


def screenshot_moment(events):
    """The moment the README's screenshot shows: when SCREENSHOT_PID has exited (a zombie)."""
    return next(e["t"] for e in events if e["kind"] == "exit" and e["pid"] == SCREENSHOT_PID)


def take_screenshot(opened, events):
    """Selects SCREENSHOT_PID one instruction before its exit (its memory still mapped, zombies
    around it) and returns a PNG of the page."""
    opened.select(SCREENSHOT_PID)
    opened.move_cursor(screenshot_moment(events) - 1)
    return opened.page.screenshot()


def main(argv):
    """Writes the README's screenshot of forktree's explorer page to argv[0]."""
    from playwright.sync_api import sync_playwright

    from pyucore.api import boot
    with tempfile.TemporaryDirectory() as tmp:
        page_path = os.path.join(tmp, "run.html")
        result = boot(program=SCREENSHOT_PROGRAM, quiet_boot=True, html=page_path)
        with sync_playwright() as playwright:
            browser = launch(playwright)
            png = take_screenshot(OpenPage(browser, page_path), result.events)
            browser.close()
    Path(argv[0]).write_bytes(png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
