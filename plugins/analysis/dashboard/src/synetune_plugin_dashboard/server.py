"""The dashboard's HTTP server: the standard library's ``ThreadingHTTPServer``, read-only (GET
and HEAD only), serving the pages shipped in the package and JSON about the experiments under
one folder. Names taken from URLs are checked to be one safe path component of an existing
experiment (or an integer trial id), so nothing outside the folder can be read: anything else
is a 404."""

from __future__ import annotations

import json
import math
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from synetune_plugin_dashboard.state import Catalog, ExperimentState

STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
TRIAL_FILES = ("std.out", "std.err", "config.json")
MAX_LOG_BYTES = 2 * 1024 * 1024  # the tail of a trial's std.out/std.err that is served
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", ""}


class NotFound(Exception):
    pass


def _static_files() -> dict[str, tuple[bytes, str]]:
    """The shipped front-end, read once: only these names can be served."""
    files = {}
    folder = resources.files("synetune_plugin_dashboard") / "static"
    for entry in folder.iterdir():
        suffix = Path(entry.name).suffix
        if entry.is_file() and suffix in STATIC_TYPES:
            files[entry.name] = (entry.read_bytes(), STATIC_TYPES[suffix])
    return files


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(_finite(payload), allow_nan=False, default=str).encode()


def _finite(value: Any) -> Any:
    """NaN and infinities as null (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class Dashboard:
    """What the handler threads share: the catalog of experiments and caches of analyses."""

    def __init__(self, root: Path, list_interval: float = 1.0):
        self.root = Path(root).expanduser()
        self.catalog = Catalog(self.root)
        self.static = _static_files()
        self.list_interval = list_interval
        self.loopback = True  # make_server sets it from the address it listens on
        self._analysis: dict[tuple[str, int, str], bytes] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- routes
    def route(self, path: str, query: dict[str, list[str]]) -> tuple[bytes, str]:
        parts = [unquote(p) for p in path.split("/")[1:]]
        if parts in ([""], ["index.html"]):
            return self.static["index.html"]
        if parts[0] == "static" and len(parts) == 2 and parts[1] in self.static:
            return self.static[parts[1]]
        if parts[0] != "api" or len(parts) < 2:
            raise NotFound
        if parts[1:] == ["experiments"]:
            return self.experiments(), "application/json"
        if parts[1:] == ["compare"]:
            return self.compare(query), "application/json"
        if parts[1] != "experiments" or len(parts) < 3:
            raise NotFound
        state = self.catalog.get(parts[2])
        if state is None:
            raise NotFound
        rest = parts[3:]
        if rest == []:
            state.refresh()
            summary = state.summary()
            return _json_bytes({**summary, "metadata": state.metadata}), "application/json"
        if rest == ["data"]:
            return state.refresh().snapshot(), "application/json"
        if rest == ["events"]:
            return self.events(state, query), "application/json"
        if rest == ["trials"]:
            return _json_bytes(self.trials(state.refresh())), "application/json"
        if rest == ["analysis"]:
            return self.analysis(state, query), "application/json"
        if len(rest) == 3 and rest[0] == "trials" and rest[2] in TRIAL_FILES:
            return self.trial_file(state, rest[1], rest[2])
        raise NotFound

    def experiments(self) -> bytes:
        states = self.catalog.all(self.list_interval)
        rows = []
        for state in states:
            row = state.summary()
            meta = state.metadata
            # the metadata the list filters on: scalars only (config spaces stay on the page)
            row["metadata"] = {
                k: v
                for k, v in meta.items()
                if isinstance(v, str | int | float | bool) and not k.startswith("st_")
            }
            rows.append(row)
        rows.sort(key=lambda r: -r["start"] if isinstance(r["start"], int | float) else 0)
        return _json_bytes({"folder": str(self.root), "experiments": rows})

    def events(self, state: ExperimentState, query: dict[str, list[str]]) -> bytes:
        try:
            since = int(query.get("since", ["0"])[0])
        except ValueError:
            raise NotFound from None
        state.refresh(1.0)  # at least the metadata, once a second
        payload = state.since(since)
        if payload is None:
            raise NotFound
        if payload["offset"] > state.offset:
            state.refresh()  # the log grew: the summary reads the new lines too
        payload["experiment"] = state.summary()
        return _json_bytes(payload)

    def trials(self, state: ExperimentState) -> dict[str, Any]:
        """One row per trial: status, configuration, results, last and best value of each
        metric, highest resource, runtime (its last ``st_worker_time``) and cost."""
        from synetune_plugin_dashboard.analysis import trial_table

        with state.lock:
            table = trial_table(state)
            data = state.data
            runtime: dict[int, float] = {}
            cost: dict[int, float] = {}
            if data is not None:
                for trial_id, wtime, worker_cost in zip(data.trial, data.wtime, data.cost):
                    if wtime == wtime:
                        runtime[trial_id] = wtime
                    if worker_cost == worker_cost:
                        cost[trial_id] = worker_cost
            index = {int(t): i for i, t in enumerate(table["ids"])}
            rows = []
            for trial_id in sorted(set(state.trials) | set(index)):
                entry = state.trials.get(trial_id, {})
                i = index.get(trial_id)
                rows.append(
                    {
                        "trial_id": trial_id,
                        "status": entry.get("status", "InProgress"),
                        "config": entry.get("config") or {},
                        "results": entry.get("results", 0),
                        "best": {
                            n: float(v[i]) if i is not None else None
                            for n, v in table["best"].items()
                        },
                        "last": {
                            n: float(v[i]) if i is not None else None
                            for n, v in table["last"].items()
                        },
                        "resource": float(table["resource"][i]) if i is not None else None,
                        "runtime": runtime.get(trial_id),
                        "cost": cost.get(trial_id),
                    }
                )
            return {"offset": state.offset, "trials": rows}

    def analysis(self, state: ExperimentState, query: dict[str, list[str]]) -> bytes:
        from synetune_plugin_dashboard.analysis import analyses

        metric = query.get("metric", [""])[0]
        state.refresh(0.5)
        key = (state.name, state.offset, metric)
        with self._lock:
            cached = self._analysis.get(key)
        if cached is None:
            cached = _json_bytes(analyses(state, metric or None))
            with self._lock:
                self._analysis = {k: v for k, v in self._analysis.items() if k[0] != state.name}
                self._analysis[key] = cached
        return cached

    def compare(self, query: dict[str, list[str]]) -> bytes:
        from synetune_plugin_dashboard.analysis import compare

        names = [n for value in query.get("names", []) for n in value.split(",") if n]
        if not names or any(self.catalog.get(n) is None for n in names):
            raise NotFound
        metric = query.get("metric", [""])[0] or None
        try:
            return _json_bytes(compare(self.root, names, metric))
        except (ValueError, FileNotFoundError) as err:
            return _json_bytes({"error": str(err), "methods": []})

    def trial_file(self, state: ExperimentState, trial: str, name: str) -> tuple[bytes, str]:
        if not trial.isdigit() or len(trial) > 18:
            raise NotFound
        trial_id = int(trial)
        path = state.folder / str(trial_id) / name
        if path.is_file() and path.resolve().parent.parent == state.folder.resolve():
            with open(path, "rb") as f:
                size = f.seek(0, 2)
                f.seek(max(0, size - MAX_LOG_BYTES))
                data = f.read()
            kind = "application/json" if name.endswith(".json") else "text/plain; charset=utf-8"
            return data, kind
        if name == "config.json":  # simulated trials have no folder: the logged configuration
            state.refresh()
            config = state.trials.get(trial_id, {}).get("config")
            if config is not None:
                return _json_bytes(config), "application/json"
        raise NotFound


class Handler(BaseHTTPRequestHandler):
    server_version = "synetune-dashboard"
    dashboard: Dashboard
    quiet = True

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        split = urlsplit(self.path)
        try:
            if not self._host_allowed():
                body, kind = b'{"error": "unknown host name"}', "application/json"
                code = HTTPStatus.FORBIDDEN
            else:
                body, kind = self.dashboard.route(split.path, parse_qs(split.query))
                code = HTTPStatus.OK
        except NotFound:
            body, kind = b'{"error": "not found"}', "application/json"
            code = HTTPStatus.NOT_FOUND
        try:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if send_body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away (a page reload): nothing to answer

    def _host_allowed(self) -> bool:
        """On loopback, only requests naming a loopback host: a web page whose own name was
        re-pointed at 127.0.0.1 (DNS rebinding) cannot read the experiments through the
        visitor's browser."""
        if not self.dashboard.loopback:
            return True
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.split(":")[0]
        return name in LOOPBACK_NAMES

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if not self.quiet:
            super().log_message(format, *args)


def make_server(
    root: str | Path, host: str = "127.0.0.1", port: int = 8080, quiet: bool = True
) -> ThreadingHTTPServer:
    """A server (not started: call ``serve_forever``) for the experiments under ``root``;
    ``port=0`` picks a free port (``server.server_address`` says which)."""
    dashboard = Dashboard(Path(root))
    dashboard.loopback = host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
    handler = type("DashboardHandler", (Handler,), {"dashboard": dashboard, "quiet": quiet})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    # read every log once in the background, so that the first page opened is already parsed
    threading.Thread(target=dashboard.catalog.all, name="dashboard-warm-up", daemon=True).start()
    server.dashboard = dashboard  # type: ignore[attr-defined]
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    return f"http://{shown}:{port}/"
