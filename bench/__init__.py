"""Benchmarks: DynamoDB capacity per game, move throughput and latency, page weight.

`make bench` (python -m bench) starts its own DynamoDB Local and app, measures, and writes
docs/benchmarks.md.
"""
