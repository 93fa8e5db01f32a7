"""The ``synetune`` command line; plugins add sub-commands through ``register_commands``."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from synetune import __version__
from synetune.plugins import KINDS
from synetune_sdk.jsonutil import json_default_or_str


@click.group()
@click.version_option(__version__, prog_name="synetune")
def cli() -> None:
    """synetune: hyperparameter optimisation as a plugin microkernel."""


@cli.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Output a JSON list instead of a table.")
@click.option(
    "--kind",
    type=click.Choice(list(KINDS)),
    help="Only plugins that provide this kind of component.",
)
def plugins_command(as_json: bool, kind: str | None) -> None:
    """List installed plugins, what they provide, and errors of broken ones."""
    from synetune import plugins
    from synetune.plugins import PluginError

    try:
        infos = plugins.list()
        clashes = plugins.clashes()
    except PluginError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(1)
    if kind:
        infos = [info for info in infos if kind in info.provides]
        clashes = [clash for clash in clashes if clash["kind"] == kind]
    if as_json:
        click.echo(json.dumps([info.to_dict() for info in infos], indent=2))
    else:
        rows = [("NAME", "VERSION", "PROVIDES")]
        for info in infos:
            provides = "; ".join(
                f"{k}: {', '.join(_with_aliases(n, info.aliases.get(k, {})) for n in v)}"
                for k, v in info.provides.items()
            )
            if info.error:
                provides = f"ERROR {info.error}"
            rows.append((info.name, info.version or "-", provides))
        _table(rows)
        for clash in clashes:
            owners = ", ".join(clash["plugins"])
            outcome = (
                f"{clash['winner']} wins"
                if clash["winner"]
                else "ambiguous, qualify it as <plugin>/<name>"
            )
            click.echo(f"CLASH {clash['kind']} {clash['name']!r}: {owners}; {outcome}")
    if plugins.strict() and any(info.error for info in infos):
        sys.exit(1)
    if plugins.strict() and clashes:
        names = ", ".join(f"{c['kind']} {c['name']!r} ({', '.join(c['plugins'])})" for c in clashes)
        click.echo(f"Error: plugins register the same short names: {names}", err=True)
        sys.exit(1)


def _with_aliases(name: str, aliases: dict[str, list[str]]) -> str:
    return f"{name} ({', '.join(aliases[name])})" if aliases.get(name) else name


@cli.command()
@click.argument("name")
@click.option("--kind", type=click.Choice(list(KINDS)), help="The kind (default: any that has it).")
def describe(name: str, kind: str | None) -> None:
    """Describe component NAME (a name or alias, any case): summary, plugin, aliases and the
    arguments of its factory with their defaults, then its documentation."""
    import inspect

    from synetune.plugins import distribution
    from synetune.registry import REGISTRIES, known_distribution

    kinds = [kind] if kind else [k for k in KINDS if name in REGISTRIES[k]]
    if len(kinds) > 1:
        raise click.ClickException(f"{name!r} is a name of {' and of '.join(kinds)}: pass --kind")
    # not found: the error of the kind an uninstalled in-repo plugin has it in, else schedulers
    kinds = kinds or [k for k in KINDS if known_distribution(k, name)] or ["schedulers"]
    registry = REGISTRIES[kinds[0]]
    try:
        entry = registry.entry(name)
        factory = entry.load()
    except (KeyError, ValueError, ImportError) as err:  # unknown, ambiguous, not importable
        raise click.ClickException(str(err)) from None
    click.echo(f"{entry.name} ({registry.singular}): {entry.summary}")
    click.echo(f"plugin:    {distribution(entry.plugin)}")
    click.echo(f"aliases:   {', '.join(entry.aliases) or '-'}\nfactory:   {entry.target}")
    click.echo("arguments: (no default: required)")
    try:
        for p in inspect.signature(factory).parameters.values():
            click.echo(f"  {p.replace(annotation=p.empty)}")
    except (TypeError, ValueError):  # a callable without a signature
        pass
    click.echo(f"\n{inspect.getdoc(factory) or ''}".rstrip())


@cli.command()
@click.argument("name")
def resume(name: str) -> None:
    """Continue an interrupted experiment NAME: a tuner name under $SYNETUNE_FOLDER, or the path
    of an experiment folder (with a '/', e.g. ./my-run)."""
    from synetune.experiments import resolve_experiment_path
    from synetune.tuner import Tuner

    try:
        tuner = Tuner.load(resolve_experiment_path(name))
    except (FileNotFoundError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    try:
        tuner.run()
    except KeyboardInterrupt:  # the tuner saved and said how to resume
        sys.exit(130)


@cli.group()
def experiments() -> None:
    """Inspect, summarise and plot stored experiments."""


def _load(name: str) -> Any:
    from synetune.experiments import load_experiment

    try:
        return load_experiment(name)
    except (FileNotFoundError, ValueError) as err:  # ValueError: not a name or experiment path
        raise click.ClickException(str(err)) from None


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "-" if value is None else str(value)


@experiments.command(name="list")
@click.argument("pattern", required=False)
@click.option("--names", "names_only", is_flag=True, help="Only the names, one per line.")
def experiments_list(pattern: str | None, names_only: bool) -> None:
    """Experiments under $SYNETUNE_FOLDER (default ~/syne-tune), oldest first.

    PATTERN keeps the names matching a shell pattern, e.g. 'asha-*'.
    """
    from synetune import results as store
    from synetune.experiments import ExperimentResult, list_experiments

    names = list_experiments(pattern=pattern)
    if names_only:
        for name in names:
            click.echo(name)
        return
    if not names:
        click.echo(f"no experiments in {store.experiment_root()}")
        return
    rows = [["NAME", "CREATED", "METHOD", "METRIC"]]
    for name in names:
        try:
            meta = store.read_metadata(store.experiment_path(name) / store.METADATA_FILENAME)
        except (OSError, ValueError):
            meta = {}
        exp = ExperimentResult(name, store.experiment_path(name), None, meta)
        created = exp.creation_date()
        metric = ", ".join(f"{m} ({exp.metric_and_mode(m)[1]})" for m in exp.metric_names())
        method = str(meta.get("method") or meta.get("scheduler_name") or "-")
        rows.append(
            [name, f"{created:%Y-%m-%d %H:%M:%S}" if created else "-", method, metric or "-"]
        )
    _table(rows)


@experiments.command(name="show")
@click.argument("name")
@click.option("--top", default=10, show_default=True, help="How many trials to list, best first.")
@click.option("--metric", default=None, help="Metric to rank by (default: the first one).")
def experiments_show(name: str, top: int, metric: str | None) -> None:
    """Summary of experiment NAME: trials, results, the best configuration and checkpoint."""
    exp = _load(name)
    df = exp.results
    meta = exp.metadata
    created = exp.creation_date()
    click.echo(f"experiment: {exp.name}")
    click.echo(f"path:       {exp.path}")
    if created is not None:
        click.echo(f"created:    {created:%Y-%m-%d %H:%M:%S}")
    click.echo(f"method:     {exp.method()}")
    if meta.get("entrypoint"):
        click.echo(f"entrypoint: {meta['entrypoint']}")
    # as the tuner's status line counts them: every trial started, by its last status in the log
    from synetune.console import trial_counts

    known = len(df["trial_id"].unique()) if len(df) else 0  # no event log: the trials that reported
    click.echo(f"trials:     {trial_counts(exp.trial_status) if exp.trial_status else known}")
    duration = f", {df['st_tuner_time'].max():.1f}s" if "st_tuner_time" in df else ""
    click.echo(f"results:    {len(df)}{duration}")
    if not len(df) or not (exp.metric_names() or metric):
        return
    if len(exp.metric_names()) > 1 and metric is None:
        return _show_front(exp, top)
    key: str | int = metric if metric is not None else 0
    try:
        best = exp.best_config(key)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    metric_name, mode = exp.metric_and_mode(key)
    click.echo(
        f"best:       {metric_name}={_cell(best[metric_name])} ({mode}) by trial {best['trial_id']}"
    )
    config = {k: v for k, v in best.items() if k not in ("trial_id", metric_name)}
    click.echo(f"config:     {json.dumps(config, default=json_default_or_str)}")
    try:
        click.echo(f"checkpoint: {exp.best_checkpoint(key)}")
    except FileNotFoundError:
        click.echo("checkpoint: none kept")
    trials = exp.trials(key).head(top)
    if len(trials):
        click.echo("")
        columns = [c for c in trials.columns]
        header = [c[len("config_") :] if c.startswith("config_") else c for c in columns]
        _table([header] + [[_cell(v) for v in row] for row in trials.itertuples(index=False)])


def _show_front(exp: Any, top: int) -> None:
    """Of several metrics: the Pareto front (``top`` rows, by the first metric), hypervolume."""
    names, modes = exp.metric_names(), exp.metric_mode()
    front = exp.pareto_front().sort_values(names[0], ascending=modes[0] == "min")
    click.echo(f"objectives: {', '.join(f'{n} ({m})' for n, m in zip(names, modes))}")
    if not len(front):
        return click.echo("front:      no result reports every metric")
    ref = ", ".join(_cell(v) for v in exp.reference_point())
    click.echo(
        f"front:      {len(front)} results, hypervolume {_cell(exp.hypervolume())} up to ({ref})"
    )
    columns = ["trial_id", *names, *[c for c in front.columns if c.startswith("config_")]]
    rows = front[columns].head(top).itertuples(index=False)
    _table([[c.removeprefix("config_") for c in columns]] + [[_cell(v) for v in r] for r in rows])


def main() -> None:
    from synetune.plugins import PluginError, get_plugin_manager

    try:
        get_plugin_manager().call_commands_hook(cli)
    except PluginError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(1)
    cli(prog_name="synetune")


if __name__ == "__main__":  # pragma: no cover
    main()
