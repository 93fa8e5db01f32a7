"""``synetune remote ...``: launch a tuning in a SageMaker job, fetch its experiment from S3."""

from __future__ import annotations

import click


@click.group()
def remote() -> None:
    """Run tunings remotely on Amazon SageMaker."""


@remote.command(
    name="launch",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("launcher", type=click.Path(exists=True, dir_okay=False))
@click.argument("launcher_args", nargs=-1, type=click.UNPROCESSED)
@click.option("--role", envvar="SYNETUNE_SAGEMAKER_ROLE", help="IAM role ARN the job runs as.")
@click.option(
    "--image-uri",
    envvar="SYNETUNE_SAGEMAKER_IMAGE",
    help="Training image of the job (default: the sagemaker SDK's PyTorch training image).",
)
@click.option("--instance-type", default="ml.c5.4xlarge", show_default=True)
@click.option(
    "--dependency",
    "dependencies",
    multiple=True,
    type=click.Path(exists=True),
    help="Folder to ship with the launcher (repeatable).",
)
@click.option(
    "--s3-path",
    envvar="SYNETUNE_S3_PATH",
    help="s3://bucket/prefix for code and results (default: SageMaker's bucket).",
)
@click.option(
    "--store-logs/--no-store-logs",
    default=False,
    help="Also sync the trials' std.out and std.err (store_logs_localbackend).",
)
@click.option("--sync-interval", default=30.0, show_default=True, help="Seconds between uploads.")
@click.option("--job-name", default=None, help="Training job name (default: derived, unique).")
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Follow the job and print its log until it ends.",
)
@click.option("--poll-interval", default=10.0, show_default=True, hidden=True)
@click.option(
    "--endpoint-url",
    envvar="AWS_ENDPOINT_URL",
    default=None,
    help="API endpoint (for a local AWS emulator).",
)
@click.option("--region", default=None, help="AWS region (default: AWS_DEFAULT_REGION).")
def launch(
    launcher: str,
    launcher_args: tuple[str, ...],
    role: str | None,
    image_uri: str | None,
    instance_type: str,
    dependencies: tuple[str, ...],
    s3_path: str | None,
    store_logs: bool,
    sync_interval: float,
    job_name: str | None,
    wait: bool,
    poll_interval: float,
    endpoint_url: str | None,
    region: str | None,
) -> None:
    """Run LAUNCHER (a script that builds and runs a Tuner) in a SageMaker training job;
    LAUNCHER_ARGS go to the script."""
    from synetune_plugin_sagemaker.remote import RemoteLauncher

    try:
        launcher_ = RemoteLauncher(
            entry_point=launcher,
            role=role,
            image_uri=image_uri,
            instance_type=instance_type,
            dependencies=list(dependencies),
            launcher_args=list(launcher_args),
            s3_path=s3_path,
            store_logs_localbackend=store_logs,
            sync_interval=sync_interval,
            job_name=job_name,
            endpoint_url=endpoint_url,
            region_name=region,
        )
        job = launcher_.run(wait=wait, poll_interval=poll_interval)
    except (ValueError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"remote job: {job.name}")
    if not wait:
        return
    click.echo(f"status: {job.status}")
    for name in job.experiments:
        click.echo(
            f"experiment: {name} ({job.s3_path}/{name}/); fetch it with: synetune remote download {name}"
        )
    if job.status != "Completed":
        raise click.ClickException(f"the remote job ended {job.status}: {job.failure_reason or ''}")


@remote.command(name="download")
@click.argument("name")
@click.option("--s3-path", envvar="SYNETUNE_S3_PATH", help="s3://bucket/prefix the job synced to.")
@click.option(
    "--logs/--no-logs", default=True, help="Also download trial logs if they were synced."
)
@click.option("--endpoint-url", envvar="AWS_ENDPOINT_URL", default=None)
@click.option("--region", default=None)
def download(
    name: str, s3_path: str | None, logs: bool, endpoint_url: str | None, region: str | None
) -> None:
    """Download experiment NAME from S3 into $SYNETUNE_FOLDER (then load_experiment(NAME))."""
    from synetune_plugin_sagemaker.remote import download_experiment

    try:
        path = download_experiment(
            name, s3_path=s3_path, include_logs=logs, endpoint_url=endpoint_url, region_name=region
        )
    except (ValueError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(str(path))
