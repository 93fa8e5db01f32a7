"""``synetune study run`` and ``synetune study report``."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def _names(values: tuple[str, ...]) -> list[str] | None:
    out = [v.strip() for value in values for v in value.split(",") if v.strip()]
    return out or None


@click.group()
def study() -> None:
    """Run methods x benchmarks x seeds as a study and compare them."""


@study.command("run")
@click.argument("study_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--method", "methods", multiple=True, help="Only these methods (repeat or a,b).")
@click.option("--benchmark", "benchmarks", multiple=True, help="Only these benchmarks.")
@click.option("--seeds", default=None, help="Only these seeds: '0-9' or '0,3,5-7'.")
@click.option(
    "--executor",
    type=click.Choice(["local", "ray", "sagemaker"]),
    default="local",
    show_default=True,
    help="local: worker processes on this machine; ray: one Ray task per run; sagemaker: one "
    "SageMaker training job per run.",
)
@click.option(
    "--address",
    default=None,
    help="--executor ray: the cluster to join (e.g. 'auto' or 'host:6379'; default: start one).",
)
@click.option(
    "--max-parallel",
    type=click.IntRange(min=1),
    default=None,
    help="Runs at once (default: the number of CPU cores; on SageMaker 8).",
)
@click.option("--role", default=None, help="sagemaker: IAM role ARN of the jobs.")
@click.option("--instance-type", default=None, help="sagemaker: instance of each job.")
@click.option("--image-uri", default=None, help="sagemaker: training image with synetune.")
@click.option("--s3-path", default=None, help="sagemaker: s3://bucket/prefix of the results.")
@click.option("--region", "region_name", default=None, help="sagemaker: AWS region.")
@click.option("--endpoint-url", default=None, help="sagemaker: AWS endpoint (tests, proxies).")
def run_command(
    study_file: Path,
    methods: tuple[str, ...],
    benchmarks: tuple[str, ...],
    seeds: str | None,
    executor: str,
    address: str | None,
    max_parallel: int | None,
    **sagemaker: str | None,
) -> None:
    """Run every combination of STUDY_FILE that has not finished; resume interrupted ones."""
    from synetune_plugin_study.runner import run_study
    from synetune_plugin_study.study import StudyError, parse_seeds

    try:
        result = run_study(
            study_file,
            methods=_names(methods),
            benchmarks=_names(benchmarks),
            seeds=parse_seeds(seeds) if seeds is not None else None,
            max_parallel=max_parallel,
            progress=sys.stderr,
            executor=executor,
            address=address,
            sagemaker=sagemaker if executor == "sagemaker" else None,
        )
    except StudyError as err:
        raise click.ClickException(str(err)) from None
    click.echo(
        f"{result.finished} run(s) finished, {result.skipped} already done, "
        f"{len(result.failed)} failed, in {result.wall_time:.1f} s"
    )
    if result.failed:
        sys.exit(1)


@study.command("report")
@click.argument("study_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--num-points", type=click.IntRange(min=2), default=100, show_default=True)
@click.option(
    "--format",
    "image_format",
    type=click.Choice(["png", "svg", "pdf"]),
    default="png",
    show_default=True,
    help="Image format of the plots.",
)
def report_command(study_file: Path, output: Path, num_points: int, image_format: str) -> None:
    """Plots and tables comparing the methods of STUDY_FILE's finished runs."""
    from synetune_plugin_study.report import study_report
    from synetune_plugin_study.study import StudyError

    try:
        report = study_report(study_file, output, num_points=num_points, image_format=image_format)
    except StudyError as err:
        raise click.ClickException(str(err)) from None
    click.echo(report.markdown)
    click.echo(f"written to {output}: {', '.join(sorted(p.name for p in report.files))}")
