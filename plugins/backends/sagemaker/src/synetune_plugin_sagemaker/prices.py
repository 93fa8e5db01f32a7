"""On-demand prices of SageMaker training instances, for the ``st_worker_cost`` of each result.

A small table shipped with the plugin: USD per instance-hour in us-east-1, rounded, as listed on
the SageMaker pricing page when this table was written. Prices change and differ per region:
pass ``instance_prices={"ml.m5.large": 0.115, ...}`` to the backend to use your own. Cost is
price x instance count x billable seconds / 3600, the way SageMaker bills training jobs.
"""

from __future__ import annotations

INSTANCE_PRICES: dict[str, float] = {
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.m5.12xlarge": 2.765,
    "ml.m5.24xlarge": 5.53,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.c5.4xlarge": 0.816,
    "ml.c5.9xlarge": 1.836,
    "ml.c5.18xlarge": 3.672,
    "ml.g4dn.xlarge": 0.736,
    "ml.g4dn.2xlarge": 0.94,
    "ml.g4dn.4xlarge": 1.505,
    "ml.g4dn.8xlarge": 2.72,
    "ml.g4dn.12xlarge": 4.89,
    "ml.g4dn.16xlarge": 5.44,
    "ml.g5.xlarge": 1.408,
    "ml.g5.2xlarge": 1.515,
    "ml.g5.4xlarge": 2.03,
    "ml.g5.12xlarge": 7.09,
    "ml.g5.48xlarge": 20.36,
    "ml.p3.2xlarge": 3.825,
    "ml.p3.8xlarge": 14.688,
    "ml.p3.16xlarge": 28.152,
    "ml.p4d.24xlarge": 37.688,
}


def hourly_price(instance_type: str, prices: dict[str, float] | None = None) -> float | None:
    """USD per hour of one ``instance_type`` instance; None when the table does not know it."""
    table = INSTANCE_PRICES if prices is None else {**INSTANCE_PRICES, **prices}
    return table.get(instance_type)


def job_cost(
    instance_type: str,
    instance_count: int,
    billable_seconds: float,
    prices: dict[str, float] | None = None,
) -> float | None:
    """What ``billable_seconds`` of a job cost in USD (None for an instance type without price)."""
    price = hourly_price(instance_type, prices)
    if price is None:
        return None
    return price * int(instance_count) * max(0.0, float(billable_seconds)) / 3600.0
