"""``synetune experiments plot`` for one or several experiments.

The plugin's ``register_commands`` hook puts this command in place of the kernel's ``plot`` of
the ``experiments`` group, which plots one experiment only. The new command takes the kernel
command's arguments plus the comparison's (``--aggregate``, ``--group-by``); one experiment is
still plotted by the kernel's command, several are compared with ``compare_experiments``.
"""

from __future__ import annotations

from typing import Any

import click

from synetune_plugin_compare.comparison import AGGREGATES

_OPTIONS = [
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
    """Replace the ``plot`` command of ``cli``'s ``experiments`` group by one that also
    compares several experiments."""
    group = cli.commands.get("experiments") if isinstance(cli, click.Group) else None
    base = group.commands.get("plot") if isinstance(group, click.Group) else None
    if not isinstance(base, click.Command):
        raise RuntimeError("the synetune command line has no 'experiments plot' to extend")
    if base.callback is not None and base.callback.__module__ == __name__:
        return  # extended already (the hook ran twice on one command line)

    @click.pass_context
    def plot(
        ctx: click.Context,
        aggregate: str,
        group_by: str | None,
        reference_point: str | None,
        **kwargs: Any,
    ) -> None:
        import synetune

        names, metric = kwargs["names"], kwargs["metric"]
        expanded = [n for n in names if not any(c in n for c in "*?[")]
        for pattern in [n for n in names if n not in expanded]:
            expanded.extend(synetune.list_experiments(pattern=pattern))
        point = _parse_point(reference_point)
        if len(expanded) == 1 and metric is None and not kwargs["per_trial"]:
            if _plot_several_metrics(expanded[0], kwargs["output"], point):
                return
        if len(expanded) <= 1:
            ctx.invoke(base, **{**kwargs, "names": tuple(expanded) or names})
            return
        if kwargs["per_trial"]:
            raise click.ClickException("--trials plots one experiment; name only one")
        from synetune_plugin_compare.comparison import compare_experiments

        try:
            comparison = compare_experiments(
                expanded, metric=metric, method=group_by, reference_point=point
            )
            comparison.plot(figure_path=kwargs["output"], aggregate=aggregate)
            click.echo(comparison.summary().to_string(index=False))
        except (ValueError, FileNotFoundError) as err:
            raise click.ClickException(str(err)) from None
        click.echo(f"wrote {kwargs['output']}")

    group.add_command(
        click.Command(
            name="plot",
            params=[*base.params, *_OPTIONS],
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


def _plot_several_metrics(name: str, output: str, point: list[float] | None) -> bool:
    """Plot one experiment with several metrics (front and hypervolume); False if it has one."""
    import synetune
    from synetune_plugin_compare.multiobjective import plot_multiobjective

    try:
        exp = synetune.load_experiment(name)
    except (FileNotFoundError, ValueError):
        return False  # the kernel's command says what is wrong
    if len(exp.metric_names()) < 2:
        return False
    try:
        plot_multiobjective(exp, figure_path=output, reference_point=point)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    click.echo(
        f"front: {len(exp.pareto_front())} results; hypervolume {exp.hypervolume(point):.6g}"
    )
    click.echo(f"wrote {output}")
    return True
