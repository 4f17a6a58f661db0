"""Shared by the bundle tests: one signing key pair per module."""

from __future__ import annotations

from pathlib import Path

import pytest

from govgate.bundle.signing import generate


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh Ed25519 key pair: (private PEM, public PEM)."""
    root = tmp_path_factory.mktemp("keys")
    generate(root / "k.pem", root / "k.pub")
    return root / "k.pem", root / "k.pub"
