"""Figures from timing samples."""


def percentile(samples: list[float], p: float) -> float:
    """The nearest-rank percentile `p` (0-100) of the samples."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
