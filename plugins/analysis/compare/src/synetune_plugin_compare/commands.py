"""``synetune experiments plot`` for one or several experiments.

The plugin's ``register_commands`` hook adds this command to the kernel's ``experiments``
group: one experiment is drawn by ``ExperimentResult.plot`` (or ``plot_trials``, or its front
and hypervolume with several metrics), several are compared with ``compare_experiments``.
"""

from __future__ import annotations

from typing import Any

import click

from synetune_plugin_compare.comparison import AGGREGATES

_OPTIONS = [
    click.Argument(["names"], nargs=-1, required=True),
    click.Option(
        ["-o", "--output"],
        required=True,
        type=click.Path(dir_okay=False),
        help="Image file to write (PNG, SVG, PDF).",
    ),
    click.Option(["--metric"], default=None, help="Metric to plot (default: the first one)."),
    click.Option(["--trials", "per_trial"], is_flag=True, help="Learning curve of every trial."),
    click.Option(
        ["--aggregate"],
        type=click.Choice(list(AGGREGATES)),
        default="mean_and_ci",
        show_default=True,
        help="Several experiments: how runs of one method are summarised.",
    ),
    click.Option(
        ["--reference-point"],
        default=None,
        help="Several metrics: the hypervolume's reference point, comma-separated values in the "
        "metrics' units (default: 10% of the range beyond the worst values of all runs).",
    ),
    click.Option(
        ["--group-by"],
        default=None,
        help="Several experiments: metadata key naming the method (default: 'method', else "
        "the scheduler).",
    ),
]


def add_plot_command(cli: Any) -> None:
    """Add ``plot`` to ``cli``'s ``experiments`` group."""
    group = cli.commands.get("experiments") if isinstance(cli, click.Group) else None
    if not isinstance(group, click.Group):
        raise RuntimeError("the synetune command line has no 'experiments' group to extend")
    if "plot" in group.commands:
        return  # added already (the hook ran twice on one command line)

    def plot(
        names: tuple[str, ...],
        output: str,
        metric: str | None,
        per_trial: bool,
        aggregate: str,
        group_by: str | None,
        reference_point: str | None,
    ) -> None:
        import synetune

        expanded = [n for n in names if not any(c in n for c in "*?[")]
        for pattern in [n for n in names if n not in expanded]:
            expanded.extend(synetune.list_experiments(pattern=pattern))
        if not expanded:
            raise click.ClickException(f"no experiment matches {' '.join(names)}")
        point = _parse_point(reference_point)
        if len(expanded) == 1:
            _plot_one(expanded[0], output, metric, per_trial, point)
            return
        if per_trial:
            raise click.ClickException("--trials plots one experiment; name only one")
        from synetune_plugin_compare.comparison import compare_experiments

        try:
            comparison = compare_experiments(
                expanded, metric=metric, method=group_by, reference_point=point
            )
            comparison.plot(figure_path=output, aggregate=aggregate)
            click.echo(comparison.summary().to_string(index=False))
        except (ValueError, FileNotFoundError) as err:
            raise click.ClickException(str(err)) from None
        click.echo(f"wrote {output}")

    group.add_command(
        click.Command(
            name="plot",
            params=_OPTIONS,
            callback=plot,
            help="Plot experiments NAMES into a file. One experiment: its best value so far "
            "against time (--trials: every trial's learning curve); with several metrics, its "
            "Pareto front (two metrics) and hypervolume so far. Several (names or shell "
            "patterns like 'asha-*'): runs grouped by method, mean and spread of the best "
            "value (several metrics: the hypervolume) so far against time.",
        )
    )


def _parse_point(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise click.ClickException(
            f"--reference-point {text!r}: give comma-separated numbers, one per metric"
        ) from None


def _plot_one(
    name: str, output: str, metric: str | None, per_trial: bool, point: list[float] | None
) -> None:
    """One experiment: best so far (or every trial's curve); with several metrics and no
    ``--metric``, the Pareto front and hypervolume so far."""
    import synetune

    try:
        exp = synetune.load_experiment(name)
        if len(exp.metric_names()) > 1 and metric is None and not per_trial:
            from synetune_plugin_compare.multiobjective import plot_multiobjective

            plot_multiobjective(exp, figure_path=output, reference_point=point)
            hypervolume = exp.hypervolume(point)
            click.echo(f"front: {len(exp.pareto_front())} results; hypervolume {hypervolume:.6g}")
        elif per_trial:
            exp.plot_trials(metric if metric is not None else 0, figure_path=output)
        else:
            exp.plot(metric if metric is not None else 0, figure_path=output)
    except (ValueError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"wrote {output}")
