"""synetune-plugin-dashboard: ``synetune dashboard``, a live web view of experiments.

This module holds only the hook implementation; the server (standard library), the analyses
(numpy) and the command are imported when the command runs. ``make_server(root, host, port)``
builds the server for use from Python (tests, notebooks).
"""

from __future__ import annotations

from typing import Any

from synetune_sdk import hookimpl

__all__ = ["make_server", "url_of"]


@hookimpl
def register_commands(cli):
    from synetune_plugin_dashboard.commands import add_dashboard_command

    add_dashboard_command(cli)


def __getattr__(name: str) -> Any:
    if name in __all__:
        from synetune_plugin_dashboard import server

        return getattr(server, name)
    raise AttributeError(f"module 'synetune_plugin_dashboard' has no attribute {name!r}")
