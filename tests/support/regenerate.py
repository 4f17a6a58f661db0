"""Regenerate the shipped JSON Schemas from the pydantic models (a developer tool).

``python -m tests.support.regenerate`` after changing ``policy/model.py``, the suite model or a
model of an output (the decision, the risk assessment, the JSON report, the attestation
predicate, the validate result: ``govgate/usecases/schemas.py``);
``tests/unit/policy/test_schema.py``, ``tests/unit/evals`` and
``tests/unit/report/test_output_schemas.py`` fail until the files match.
"""

from __future__ import annotations

import sys
from pathlib import Path

from govgate.evals import suite
from govgate.policy import schema
from govgate.usecases import schemas

SRC = Path(__file__).resolve().parents[2] / "src" / "govgate"


def main() -> int:
    targets = [
        (SRC / "policy" / schema.SCHEMA_FILE, schema.dumps(schema.generate())),
        (SRC / "evals" / suite.SCHEMA_FILE, schema.dumps(suite.generate_schema())),
        *(
            (SRC / schemas.FILES[kind], schemas.dumps(schemas.generate(kind)))
            for kind in schemas.OUTPUT_KINDS
        ),
    ]
    for path, text in targets:
        path.write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {path.relative_to(SRC.parents[1])}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
