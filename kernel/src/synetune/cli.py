"""The ``synetune`` command line; plugins add sub-commands through ``register_commands``."""

from __future__ import annotations

import json
import sys

import click

from synetune import __version__


@click.group()
@click.version_option(__version__, prog_name="synetune")
def cli() -> None:
    """synetune: hyperparameter optimisation as a plugin microkernel."""


@cli.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Output a JSON list instead of a table.")
@click.option(
    "--kind",
    type=click.Choice(["schedulers", "searchers", "backends", "callbacks", "blackboxes"]),
    help="Only plugins that provide this kind of component.",
)
def plugins_command(as_json: bool, kind: str | None) -> None:
    """List installed plugins, what they provide, and errors of broken ones."""
    from synetune import plugins
    from synetune.plugins import PluginError

    try:
        infos = plugins.list()
    except PluginError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(1)
    if kind:
        infos = [info for info in infos if kind in info.provides]
    if as_json:
        click.echo(json.dumps([info.to_dict() for info in infos], indent=2))
    else:
        rows = [("NAME", "VERSION", "PROVIDES")]
        for info in infos:
            provides = "; ".join(f"{k}: {', '.join(v)}" for k, v in info.provides.items())
            if info.error:
                provides = f"ERROR {info.error}"
            rows.append((info.name, info.version or "-", provides))
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        for row in rows:
            click.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip())
    if plugins.strict() and any(info.error for info in infos):
        sys.exit(1)


@cli.command()
@click.argument("name")
def resume(name: str) -> None:
    """Continue an interrupted experiment NAME (a tuner name or folder)."""
    from synetune.tuner import Tuner

    try:
        tuner = Tuner.load(name)
    except FileNotFoundError as err:
        raise click.ClickException(str(err)) from None
    tuner.run()


@cli.group()
def experiments() -> None:
    """Inspect stored experiments."""


@experiments.command(name="list")
def experiments_list() -> None:
    """Experiments under $SYNETUNE_FOLDER (default ~/syne-tune), oldest first."""
    from synetune.experiments import list_experiments

    for name in list_experiments():
        click.echo(name)


@experiments.command(name="show")
@click.argument("name")
def experiments_show(name: str) -> None:
    """Summary of experiment NAME: trials, results and the best configuration."""
    from synetune.experiments import load_experiment

    try:
        exp = load_experiment(name)
    except FileNotFoundError as err:
        raise click.ClickException(str(err)) from None
    df = exp.results
    click.echo(f"experiment: {exp.name}\npath: {exp.path}")
    click.echo(f"trials: {df['trial_id'].nunique() if len(df) else 0}, results: {len(df)}")
    if exp.metric_names() and len(df):
        click.echo(f"best: {json.dumps(exp.best_config(), default=str)}")


def main() -> None:
    from synetune.plugins import PluginError, get_plugin_manager

    try:
        get_plugin_manager().call_commands_hook(cli)
    except PluginError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(1)
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
