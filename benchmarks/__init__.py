"""Benchmarks, each measured beside its anchor in the same run.

Every ``benchmarks/bench_*.py`` module exposes ``run(args: list[str]) -> dict[str, object]``;
``python -m benchmarks [NAME ...]`` runs them (all by default) and prints one JSON object
keyed by benchmark name. Speed is reported, never asserted.
"""
