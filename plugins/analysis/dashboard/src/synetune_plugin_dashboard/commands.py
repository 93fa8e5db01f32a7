"""``synetune dashboard``: serve the live dashboard of the experiments under a folder."""

from __future__ import annotations

from typing import Any

import click


def add_dashboard_command(cli: Any) -> None:
    @cli.command(name="dashboard")
    @click.option(
        "--folder",
        type=click.Path(file_okay=False),
        default=None,
        help="Folder holding the experiments (default: $SYNETUNE_FOLDER, else ~/syne-tune).",
    )
    @click.option(
        "--host",
        default="127.0.0.1",
        show_default=True,
        help="Address to listen on; anything but loopback lets others on the network read "
        "your experiments.",
    )
    @click.option("--port", default=8080, show_default=True, help="Port (0: any free one).")
    @click.option("--open", "open_browser", is_flag=True, help="Open the page in a browser.")
    @click.option("--verbose", is_flag=True, help="Log every request to stderr.")
    def dashboard(
        folder: str | None, host: str, port: int, open_browser: bool, verbose: bool
    ) -> None:
        """A live web dashboard of experiments: status, best value over time, learning curves,
        trials, parallel coordinates, importance, rungs and Pareto fronts, updated while the
        tuner runs. Read-only. Stop it with Ctrl-C."""
        from pathlib import Path

        from synetune.plugin_api import experiment_root
        from synetune_plugin_dashboard.server import make_server, url_of

        root = Path(folder).expanduser() if folder else experiment_root()
        if not root.is_dir():
            raise click.ClickException(
                f"{root} is not a folder: pass --folder with the folder your experiments are "
                "in, or set SYNETUNE_FOLDER"
            )
        try:
            server = make_server(root, host, port, quiet=not verbose)
        except OSError as err:
            raise click.ClickException(
                f"cannot listen on {host}:{port} ({err.strerror or err}); pick another "
                "--port (0 takes any free one)"
            ) from None
        url = url_of(server)
        click.echo(f"synetune dashboard: {root} at {url} (Ctrl-C stops it)")
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        try:
            server.serve_forever(poll_interval=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
