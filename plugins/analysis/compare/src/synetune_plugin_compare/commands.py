"""``synetune experiments plot`` for one or several experiments.

The plugin's ``register_commands`` hook puts this command in place of the kernel's ``plot`` of
the ``experiments`` group, which plots one experiment only. One experiment is plotted by the
kernel's own ``ExperimentResult.plot`` / ``plot_trials``; several are compared with
``compare_experiments``.
"""

from __future__ import annotations

from typing import Any

import click

from synetune_plugin_compare.comparison import AGGREGATES


@click.command(name="plot")
@click.argument("names", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Image file to write (PNG, SVG, PDF).",
)
@click.option("--metric", default=None, help="Metric to plot (default: the first one).")
@click.option(
    "--trials", "per_trial", is_flag=True, help="One experiment: learning curve of every trial."
)
@click.option(
    "--aggregate",
    type=click.Choice(list(AGGREGATES)),
    default="mean_and_ci",
    show_default=True,
    help="Several experiments: how runs of one method are summarised.",
)
@click.option(
    "--group-by",
    default=None,
    help="Several experiments: metadata key naming the method (default: 'method', else the scheduler).",
)
def plot(
    names: tuple[str, ...],
    output: str,
    metric: str | None,
    per_trial: bool,
    aggregate: str,
    group_by: str | None,
) -> None:
    """Plot experiments NAMES into a file.

    One experiment: its best value so far against time (--trials: every trial's learning
    curve). Several (names or shell patterns like 'asha-*'): runs grouped by method, mean and
    spread of the best value so far against time.
    """
    import synetune

    key: str | int = metric if metric is not None else 0
    expanded = [n for n in names if not any(c in n for c in "*?[")]
    for pattern in [n for n in names if n not in expanded]:
        expanded.extend(synetune.list_experiments(pattern=pattern))
    if not expanded:
        raise click.ClickException(f"no experiment matches {' '.join(names)}")
    try:
        if len(expanded) == 1:
            exp = synetune.load_experiment(expanded[0])
            if per_trial:
                exp.plot_trials(key, figure_path=output)
            else:
                exp.plot(key, figure_path=output)
        else:
            if per_trial:
                raise click.ClickException("--trials plots one experiment; name only one")
            from synetune_plugin_compare.comparison import compare_experiments

            comparison = compare_experiments(expanded, metric=key, method=group_by)
            comparison.plot(figure_path=output, aggregate=aggregate)
            summary = comparison.summary()
            _table(
                [list(map(str, summary.columns))]
                + [[_cell(v) for v in row] for row in summary.itertuples(index=False)]
            )
    except (ValueError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from None
    except ModuleNotFoundError as err:
        raise click.ClickException(
            f"{err}: plotting needs matplotlib (pip install matplotlib)"
        ) from None
    click.echo(f"wrote {output}")


def add_plot_command(cli: Any) -> None:
    """Replace the ``plot`` command of ``cli``'s ``experiments`` group with ``plot``."""
    group = cli.commands.get("experiments") if isinstance(cli, click.Group) else None
    if not isinstance(group, click.Group):
        raise RuntimeError("the synetune command line has no 'experiments' group to add 'plot' to")
    group.add_command(plot)


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "-" if value is None else str(value)
