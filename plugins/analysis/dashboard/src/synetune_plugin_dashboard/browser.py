"""A minimal headless Chromium driven over the DevTools protocol, for the dashboard's tests and
its speed benchmark: open a page, evaluate JavaScript, wait for a condition, take a screenshot.

It needs a Chromium binary (Debian's ``chromium``, found on PATH or named by
``$SYNETUNE_CHROMIUM``) and ``websocket-client`` (the plugin's ``test`` extra); neither is needed
to serve the dashboard.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The Chromium binary: ``$SYNETUNE_CHROMIUM``, else the first of ``CANDIDATES`` on PATH."""
    named = os.environ.get("SYNETUNE_CHROMIUM")
    if named:
        return named
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one page. Use as a context manager."""

    def __init__(self, width: int = 1400, height: int = 1000, timeout: float = 30.0):
        import websocket  # websocket-client

        binary = find_chromium()
        if binary is None:
            raise BrowserError(
                "no Chromium found: install Debian's chromium (apt-get install chromium; "
                "scripts/setup.sh does) or set SYNETUNE_CHROMIUM to the browser's path"
            )
        self.profile = Path(tempfile.mkdtemp(prefix="synetune-chromium-"))
        args = [
            binary,
            "--headless=new",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-renderer-backgrounding",
            "--disable-background-timer-throttling",
            "--remote-debugging-port=0",
            "--remote-allow-origins=*",
            f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        # its chatter goes to a file: a pipe nobody reads would fill up and stall the browser
        self._log = open(self.profile / "chromium.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=self._log, start_new_session=True
        )
        self._ids = itertools.count(1)
        try:
            port = self._wait_port(timeout)
            deadline = time.monotonic() + timeout
            while True:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                if pages or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            if not pages:
                raise BrowserError("Chromium opened no page")
            self.ws = websocket.create_connection(
                pages[0]["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True
            )
            self.call("Page.enable")
            self.call("Runtime.enable")
        except BaseException:
            self.close()
            raise

    def _wait_port(self, timeout: float) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (self.profile / "chromium.log").read_text(errors="replace")
                raise BrowserError(f"Chromium exited with {self.process.returncode}: {err[-2000:]}")
            try:
                text = marker.read_text().split()
                if text:
                    return int(text[0])
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise BrowserError(f"Chromium did not open its DevTools port within {timeout}s")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and wait for its answer (events meanwhile are dropped)."""
        message_id = next(self._ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript error: {text}")
        return result.get("result", {}).get("value")

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def wait_for(self, expression: str, timeout: float = 10.0, interval: float = 0.02) -> Any:
        """Poll ``expression`` until it is truthy; its value. Raises ``TimeoutError``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression)
            except BrowserError:
                value = None  # the page is still loading
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expression!r} still false after {timeout}s")
            time.sleep(interval)

    def screenshot(self, path: str | Path, full_page: bool = True) -> Path:
        """Save a PNG of the page (``full_page``: all of it, else the window)."""
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=full_page)
        path = Path(path)
        path.write_bytes(base64.b64decode(data["data"]))
        return path

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                ws.close()
            except OSError:
                pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
