"""Tests of the local stack: `make run` and what it starts."""
