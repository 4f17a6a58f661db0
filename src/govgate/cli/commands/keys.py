"""``govgate keygen`` and ``govgate verify``: make a signing key; check a bundle offline."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

from govgate.errors import UsageError
from govgate.exitcodes import ExitCode


def cmd_keygen(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.bundle.signing import generate

    private, public = Path(f"{args.out}.pem"), Path(f"{args.out}.pub")
    key = generate(private, public)
    out.write(f"private key {private} (keep it secret)\npublic key  {public}\nkey id {key}\n")
    return ExitCode.OK


def cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.bundle.verify import verify_path

    path = Path(args.bundle)
    if not path.exists():
        raise UsageError(f"{path}: no such bundle")
    result = verify_path(path, Path(args.key) if args.key else None)
    if args.format == "json":
        payload = {
            "bundle": str(path),
            "verified": result.ok,
            "problems": result.problems,
            "signed": result.signed,
            "signature_verified": result.signature_verified,
            "replayed": result.replayed,
            "verdict": result.verdict,
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    elif not result.ok:
        count = len(result.problems)
        out.write(f"{path}: NOT VERIFIED ({count} problem{'s' if count != 1 else ''})\n")
        out.writelines(f"  {p}\n" for p in result.problems)
    else:
        signature = (
            "signature verified"
            if result.signature_verified
            else "signed, not checked (no --key)"
            if result.signed
            else "not signed"
        )
        out.write(
            f"{path}: verified: every digest matches, {signature}, decision replayed "
            f"byte for byte (verdict {result.verdict})\n"
        )
    return result.exit_code
