"""The searcher contract: proposes configurations; schedulers own the searchers they use."""

from __future__ import annotations

from typing import Any


class Searcher:
    """Base class of every searcher (random, grid, Bayesian optimisation, ...).

    A scheduler asks ``suggest(trial_id)`` for a new configuration (None: nothing left) and feeds
    back what it observes: ``on_trial_result`` for each result it passes on (``update=True`` when
    the searcher should add it to its model), ``on_trial_complete`` at the end, ``on_trial_error``
    / ``evaluation_failed`` for failures, and ``register_pending`` for configurations being
    evaluated so that asynchronous workers do not all get the same suggestion.

    ``points_to_evaluate`` are suggested first, in order. Multi-fidelity schedulers pass the rung
    context as keyword arguments to ``suggest`` (see ``MultiFidelitySearcher``).
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str | list[str],
        mode: str | list[str] = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        **kwargs: Any,
    ):
        self.config_space = dict(config_space)
        self.metric = metric
        self.mode = mode
        self.points_to_evaluate = list(points_to_evaluate or [])
        self.random_seed = random_seed

    def configure_scheduler(self, scheduler: Any) -> None:
        """Called once by the owning scheduler; a searcher may read its settings here."""

    def suggest(self, trial_id: int, **kwargs: Any) -> dict[str, Any] | None:
        """A new configuration for ``trial_id``, or None when the search space is exhausted."""
        raise NotImplementedError

    def next_initial_config(self) -> dict[str, Any] | None:
        """Pop the next of ``points_to_evaluate`` (helper for subclasses)."""
        return self.points_to_evaluate.pop(0) if self.points_to_evaluate else None

    def on_trial_result(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any], update: bool
    ) -> None:
        """A result of ``trial_id``; add it to the model if ``update``."""

    def on_trial_complete(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any]
    ) -> None:
        """The trial finished with ``result`` as its final result."""

    def on_trial_error(self, trial_id: int) -> None:
        """The trial failed; by default the same as ``evaluation_failed``."""
        self.evaluation_failed(trial_id)

    def register_pending(
        self, trial_id: int, config: dict[str, Any] | None = None, milestone: int | None = None
    ) -> None:
        """``config`` is being evaluated (up to ``milestone`` for multi-fidelity schedulers)."""

    def evaluation_failed(self, trial_id: int) -> None:
        """Forget pending evaluations of a failed trial."""

    def remove_case(self, trial_id: int, **kwargs: Any) -> None:
        """Drop data of ``trial_id`` (multi-fidelity schedulers call this on stopped trials)."""


class MultiFidelitySearcher(Searcher):
    """Searcher that learns from results at several resource levels (MOBSTER, BOHB, Hyper-Tune).

    Multi-fidelity schedulers call ``configure_scheduler`` with themselves (exposing
    ``resource_attr``, ``max_t`` and ``rung_levels``), call ``on_trial_result`` with results at
    the resource levels selected by ``searcher_data`` (the resource value is
    ``result[scheduler.resource_attr]``), and call ``suggest(trial_id, bracket=..., milestone=...)``
    where ``milestone`` is the first rung level the new trial will reach. ``register_pending``
    gets the ``milestone`` a running trial is heading to.
    """

    def configure_scheduler(self, scheduler: Any) -> None:
        self.resource_attr = getattr(scheduler, "resource_attr", None)
        self.max_t = getattr(scheduler, "max_t", None)
        self.rung_levels = list(getattr(scheduler, "rung_levels", []) or [])
