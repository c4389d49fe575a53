"""Metrics and the report ``newsmon eval`` prints."""

from __future__ import annotations

from crawler.relevance.evaluation import best_threshold, format_report, metrics_at


def test_metrics_at_threshold() -> None:
    m = metrics_at([0.9, 0.8, 0.3, 0.6, 0.1], [True, True, True, False, False], 0.5)
    assert (m.tp, m.fp, m.fn, m.tn) == (2, 1, 1, 1)
    assert m.precision == 2 / 3 and m.recall == 2 / 3
    assert abs(m.f1 - 2 / 3) < 1e-9


def test_best_threshold_finds_the_perfect_cut() -> None:
    b = best_threshold([0.9, 0.7, 0.4, 0.2], [True, True, False, False])
    assert b.f1 == 1.0 and b.threshold == 0.7


def test_report_has_matrix_curve_and_fp_by_kind() -> None:
    text = format_report(
        [0.9, 0.6, 0.2, 0.7], [True, False, False, True], 0.5, ["rel", "near", "irr", "rel"]
    )
    assert "precision: 0.667  recall: 1.000  F1: 0.800" in text
    assert "near         1/1 (100.0%)" in text
    assert "irr          0/1 (0.0%)" in text
    assert "threshold curve" in text and "0.95" in text
