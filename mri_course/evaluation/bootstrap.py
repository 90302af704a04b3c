"""How sure is an accuracy? Bootstrap confidence intervals.

An accuracy measured on 753 scans would come out a little different on another 753 scans
of the same kind. The bootstrap estimates how much: resample the scans with replacement
many times, recompute the accuracy each time, and keep the middle 95% of the results.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import bootstrap


def bootstrap_interval(
    values: np.ndarray,
    statistic: Callable[..., float] = np.mean,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """A percentile bootstrap interval of ``statistic`` over ``values`` (scipy's bootstrap).

    For an accuracy, ``values`` is 1 for each right prediction and 0 for each wrong one.
    The interval is fixed by ``seed``, so a report gives the same numbers every run.

    Raises:
        ValueError: with fewer than two values (one example gives no spread to resample).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(
            f"a bootstrap interval needs two or more examples, got {values.size}: report the "
            "figure without an interval"
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    result = bootstrap(
        (values,),
        statistic,
        confidence_level=confidence,
        n_resamples=resamples,
        method="percentile",
        vectorized=statistic is np.mean,
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return float(interval.low), float(interval.high)
