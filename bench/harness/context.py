"""What a suite's `run` gets: the options, the working folder and the stack."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from flask import Flask

from bench.capacity import Recorder, instrumented_app
from bench.harness.stack import Stack


@dataclass
class Context:
    """The run's options and shared parts; `moves_sent` adds up the server suites' moves."""

    args: argparse.Namespace
    workdir: Path
    stack: Stack
    moves_sent: int = 0

    @property
    def runs(self) -> int:
        return int(self.args.runs)

    @cached_property
    def app(self) -> tuple[Flask, Recorder]:
        """The app built as production builds it, with a capacity recorder on its client."""
        return instrumented_app(self.stack.settings)
