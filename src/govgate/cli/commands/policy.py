"""``govgate policy digest``: the digest a harness records before scoring (pre-registration)."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from govgate.exitcodes import ExitCode


def cmd_policy(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.usecases.check import load_valid

    policy_set = load_valid(args.paths)
    digest = policy_set.digest()
    if args.format == "json":
        document = {
            "policy_set_digest": digest,
            "policies": [p.name for p in policy_set.policies],
            "files": [{"path": s.path, "sha256": s.sha256} for s in policy_set.sources],
        }
        out.write(json.dumps(document, indent=2) + "\n")
    else:
        out.write(f"{digest}\n")
    return ExitCode.OK
