"""What ran the gate, recorded in the bundle: versions, the git commit, the CI run.

Only the variables named here are read, from the mapping the caller passes (the command line
passes ``os.environ``), so no secret in the environment can reach a bundle by this path.
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from typing import Any

PACKAGES = (
    "govgate",
    "pydantic",
    "cel-python",
    "jsonschema",
    "PyYAML",
    "numpy",
    "scipy",
    "pyarrow",
    "cryptography",
    "jinja2",
    "mlflow",
    "ragas",
)
CI_VARIABLES = (
    "CI",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_WORKFLOW",
    "GITHUB_ACTOR",
)


def _git(*args: str) -> str:
    """git from the user's PATH, with a fixed argv: no input reaches the command line."""
    argv = ["git", *args]
    done = subprocess.run(  # noqa: S603
        argv, capture_output=True, text=True, errors="replace", timeout=5, check=True
    )
    return done.stdout.strip()


def environment(env: Mapping[str, str]) -> dict[str, Any]:
    """The record: Python, platform, package versions, git commit and dirtiness, CI names."""
    packages: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    git: dict[str, Any]
    try:
        git = {"commit": _git("rev-parse", "HEAD"), "dirty": _git("status", "--porcelain") != ""}
    except (OSError, subprocess.SubprocessError):
        git = {"commit": None}
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "packages": packages,
        "git": git,
        "ci": {name: env[name] for name in CI_VARIABLES if name in env},
    }
