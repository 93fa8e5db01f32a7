"""``synetune blackboxes list`` and ``synetune blackboxes generate NAME``."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click


def _parse_options(options: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for option in options:
        key, sep, raw = option.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{option!r}: write recipe arguments as KEY=VALUE")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out


@click.group()
def blackboxes() -> None:
    """Blackbox recipes and the local blackbox repository."""


@blackboxes.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Output a JSON list instead of a table.")
def list_command(as_json: bool) -> None:
    """Registered blackbox recipes and whether their default version is generated."""
    import synetune
    from synetune_plugin_blackbox_repository.repository import cache_path

    rows = []
    for name in synetune.blackboxes.names():
        entry = synetune.blackboxes.entry(name)
        try:
            folder = cache_path(name)
            generated = folder.exists()
        except Exception as err:  # a broken recipe is listed, not fatal
            folder, generated = None, f"error: {err}"
        rows.append(
            {
                "name": name,
                "plugin": entry.plugin,
                "generated": generated,
                "path": str(folder) if folder else None,
                "summary": entry.summary,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = [("NAME", "GENERATED", "SUMMARY")]
    table += [
        (r["name"], "yes" if r["generated"] is True else "no", r["summary"] or "") for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(2)]
    for row in table:
        click.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip())


@blackboxes.command(name="generate")
@click.argument("name")
@click.option(
    "-o",
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Argument for the recipe (VALUE is parsed as JSON if it can be), repeatable.",
)
@click.option("--force", is_flag=True, help="Generate again even if a valid copy exists.")
def generate_command(name: str, options: tuple[str, ...], force: bool) -> None:
    """Generate blackbox NAME into the local repository (resumes an interrupted run)."""
    import synetune
    from synetune.plugin_api import AmbiguousNameError, UnknownNameError

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    kwargs = _parse_options(options)
    try:
        folder = synetune.blackboxes.generate(name, force=force, **kwargs)
    except (UnknownNameError, AmbiguousNameError, TypeError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(str(folder))
