"""The code around the app keeps the shape issue 26 set: bench/ as a harness and suites, and
devstack/ and scripts/ alike. No module over 300 lines, no function over 40, and no three
modules in one folder sharing a prefix (a prefix shared by three is a folder waiting)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from tests.support import ROOT

FOLDERS = ("bench", "devstack", "scripts")
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 40


def modules(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_module_is_over_300_lines(folder: str) -> None:
    sizes = {p.relative_to(ROOT): len(p.read_text().splitlines()) for p in modules(folder)}
    assert sizes, folder
    assert {p: n for p, n in sizes.items() if n > MAX_MODULE_LINES} == {}


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_function_is_over_40_lines(folder: str) -> None:
    long = {}
    for path in modules(folder):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = lines
    assert long == {}


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_three_modules_of_a_folder_share_a_prefix(folder: str) -> None:
    families = {}
    for place in [ROOT / folder, *(p for p in (ROOT / folder).rglob("*") if p.is_dir())]:
        names = [
            p.stem
            for p in place.iterdir()
            if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py").is_file())
        ]
        prefixes = Counter(name.split("_")[0] for name in names if "_" in name)
        for prefix, count in prefixes.items():
            # The bare word counts too: bundle.py beside bundle_x.py and bundle_y.py.
            count += names.count(prefix)
            if count >= 3:
                families[f"{place.relative_to(ROOT)}/{prefix}_*"] = count
    assert families == {}
