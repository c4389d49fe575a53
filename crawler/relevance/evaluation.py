"""Precision, recall, F1, confusion matrix and threshold curve for scored, labelled items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Metrics:
    """Confusion counts at one threshold, and the rates derived from them."""

    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else 0.0


def metrics_at(scores: Sequence[float], truth: Sequence[bool], threshold: float) -> Metrics:
    """Confusion counts when ``score >= threshold`` means relevant."""
    tp = fp = fn = tn = 0
    for s, t in zip(scores, truth, strict=True):
        predicted = s >= threshold
        if predicted and t:
            tp += 1
        elif predicted:
            fp += 1
        elif t:
            fn += 1
        else:
            tn += 1
    return Metrics(threshold, tp, fp, fn, tn)


def curve(
    scores: Sequence[float], truth: Sequence[bool], thresholds: Sequence[float] | None = None
) -> list[Metrics]:
    """Metrics at each threshold (default 0.05, 0.10, ..., 0.95)."""
    steps = thresholds if thresholds is not None else [round(0.05 * i, 2) for i in range(1, 20)]
    return [metrics_at(scores, truth, t) for t in steps]


def best_threshold(scores: Sequence[float], truth: Sequence[bool]) -> Metrics:
    """The threshold (among the observed scores) with the highest F1; ties: the higher one."""
    best = metrics_at(scores, truth, 0.5)
    for t in sorted(set(scores)):
        m = metrics_at(scores, truth, t)
        if m.f1 >= best.f1:
            best = m
    return best


def false_positive_rate(
    scores: Sequence[float], kinds: Sequence[str], kind: str, threshold: float
) -> tuple[int, int]:
    """(false positives, items) among items of one kind (e.g. the "near" misses)."""
    picked = [s for s, k in zip(scores, kinds, strict=True) if k == kind]
    return sum(1 for s in picked if s >= threshold), len(picked)


def format_report(
    scores: Sequence[float],
    truth: Sequence[bool],
    threshold: float,
    kinds: Sequence[str] | None = None,
) -> str:
    """The text ``newsmon eval`` prints."""
    m = metrics_at(scores, truth, threshold)
    lines = [
        f"items: {len(truth)} (relevant {sum(truth)}, not relevant {len(truth) - sum(truth)})",
        f"threshold: {threshold:.2f}",
        f"precision: {m.precision:.3f}  recall: {m.recall:.3f}  F1: {m.f1:.3f}",
        "",
        "confusion matrix        predicted relevant  predicted not",
        f"  actually relevant     {m.tp:>18}  {m.fn:>13}",
        f"  actually not          {m.fp:>18}  {m.tn:>13}",
    ]
    if kinds is not None:
        extra = sorted({k for k, t in zip(kinds, truth, strict=True) if not t})
        if len(extra) > 1:
            lines.append("")
            lines.append("false positives by kind of negative:")
            for kind in extra:
                fp, n = false_positive_rate(scores, kinds, kind, threshold)
                lines.append(f"  {kind:<12} {fp}/{n} ({fp / n:.1%})")
    lines += ["", "threshold curve", "  threshold  precision  recall     F1  flagged"]
    for c in curve(scores, truth):
        lines.append(
            f"  {c.threshold:>9.2f}  {c.precision:>9.3f}  {c.recall:>6.3f}  {c.f1:>5.3f}"
            f"  {c.tp + c.fp:>7}"
        )
    b = best_threshold(scores, truth)
    lines += [
        "",
        f"best F1 {b.f1:.3f} at threshold {b.threshold:.3f} "
        f"(precision {b.precision:.3f}, recall {b.recall:.3f})",
    ]
    return "\n".join(lines)
