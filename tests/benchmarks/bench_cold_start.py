"""Benchmark: cold start of the commands a developer runs most, against importing their deps.

`govgate --help` and `govgate validate policies/` (the shipped policies and their tests), each
in a fresh interpreter, best of 7, against `python -c "import pydantic, yaml, celpy"` (the
libraries validation cannot do without). Also lists which heavy modules each command imported:
commands that do not need MLflow, ragas or pandas must not import them.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.benchmarks.common import GOVGATE, PYTHON, QUIET, ROOT, best, table

HEAVY = ("mlflow", "ragas", "pandas", "pyarrow", "scipy", "numpy", "sklearn", "langchain_core")
PROBE = (
    "import io, json, sys\n"
    "from govgate.cli import main\n"
    "main(sys.argv[1:], stdout=io.StringIO(), stderr=io.StringIO())\n"
    "print(json.dumps([m for m in {heavy!r} if m in sys.modules]))\n"
)


def imported(argv: list[str]) -> list[str]:
    done = subprocess.run(
        [PYTHON, "-c", PROBE.format(heavy=HEAVY), *argv],
        cwd=ROOT,
        env=QUIET,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def main() -> str:
    floor = best(7, [PYTHON, "-c", "import pydantic, yaml, celpy"], cwd=ROOT)
    bare = best(7, [PYTHON, "-c", "pass"], cwd=ROOT)
    rows = []
    for label, argv in (
        ("govgate --help", ["--help"]),
        ("govgate validate policies/", ["validate", "policies"]),
        ("govgate schema", ["schema"]),
    ):
        m = best(7, [GOVGATE, *argv], cwd=ROOT)
        heavy = imported(argv)
        rows.append(
            [
                label,
                f"{m.seconds:.3f}",
                f"{m.seconds / floor.seconds:.2f}",
                ", ".join(heavy) or "none of " + "/".join(HEAVY[:3]),
            ]
        )
    rows.append(["python -c 'import pydantic, yaml, celpy'", f"{floor.seconds:.3f}", "1.00", ""])
    rows.append(
        ["python -c pass", f"{bare.seconds:.3f}", f"{bare.seconds / floor.seconds:.2f}", ""]
    )
    lines = [
        "### cold start (fresh interpreter, best of 7)",
        "",
        table(["command", "wall s", "/ import floor", "heavy modules imported"], rows),
        "",
        "- `check`, `eval`, `replay` and `diff` import MLflow (and with it pandas) only when "
        "they run; `test` imports numpy, scipy and pyarrow (and pyarrow imports pandas when it "
        "builds its first array)",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(main())
