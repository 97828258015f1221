"""Readers of finished runs: the runs-root layout, run summaries, reports, evaluation results."""
