"""Every test the hardening catalogue (README.md here) names exists."""

from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

CATALOGUE = (ROOT / "tests" / "hardening" / "README.md").read_text()


def test_every_listed_test_exists() -> None:
    named = set(re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", CATALOGUE))
    assert len(named) >= 25
    for path, name in sorted(named):
        tree = ast.parse((ROOT / path).read_text())
        functions = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert name in functions, f"{path}::{name} is listed but does not exist"


def test_every_hardening_test_is_listed() -> None:
    for path in sorted((ROOT / "tests" / "hardening").glob("test_*.py")):
        if path.name == "test_catalogue.py":
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                ref = f"`tests/hardening/{path.name}::{node.name}`"
                assert ref in CATALOGUE, f"{ref} is not in the catalogue"
