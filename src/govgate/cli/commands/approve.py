"""``govgate approve``: verify a bundle, then sign one approval of its decision.

Exit 0 when the approval is written; 2 for a usage error (no such bundle or key, an existing
output file, a bad expiry or role, a candidate that is not a registered model version); 8 when
the bundle does not verify (nothing is approved that a reviewer could not replay); the
bundle's own verdict code (4 FAIL, 5 ROLLBACK, 6 INCONCLUSIVE) when its decision is not one an
approval can release.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from govgate.cli import options
from govgate.cli.commands.promote import BUNDLE_KEY_ENV
from govgate.display import visible
from govgate.errors import UsageError
from govgate.exitcodes import ExitCode


def _gate_key(given: str | None) -> Any:
    """The public key the bundle's signature must verify under (``--bundle-key``, else
    ``$GOVGATE_BUNDLE_KEY``, as ``promote`` reads it), or None."""
    from govgate.bundle.signing import keyid, load_public
    from govgate.cli.commands.promote import _keys

    keys = [(choice, load_public(choice.path)) for choice in _keys(given, "--bundle-key")]
    if not keys:
        return None
    if len({keyid(k) for _, k in keys}) > 1:
        raise UsageError(
            f"--bundle-key ({keys[0][0].path}) and ${BUNDLE_KEY_ENV} ({keys[1][0].path}) are "
            "different public keys: which one signs the bundles?",
            hint="configure one key",
        )
    return keys[0][1]


def cmd_approve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.approval.issue import expiry, issue, refusal, unrequired
    from govgate.bundle import reader
    from govgate.bundle.signing import keyid, load_private
    from govgate.bundle.verify import verify
    from govgate.files import atomic_write
    from govgate.gate.outcome import Decision

    path, target = Path(args.bundle), Path(args.output)
    if not path.exists():
        raise UsageError(f"{path}: no such bundle")
    if target.exists():
        raise UsageError(
            f"--output {target}: already exists", hint="approvals are never overwritten"
        )
    key = load_private(Path(args.key))
    gate_key = _gate_key(args.bundle_key)
    now = options.clock()
    expires = expiry(args.expires, now)
    files = reader.read(path)
    result = verify(files, gate_key)
    shown = visible(str(path))
    if not result.ok:
        err.write(f"govgate: not approving: {shown} does not verify\n")
        err.writelines(f"  {visible(p)}\n" for p in result.problems)
        return ExitCode.VERIFY_FAILED
    if gate_key is None:
        err.write(
            f"govgate: warning: the signature of {shown} is not checked (no --bundle-key or "
            f"${BUNDLE_KEY_ENV}): you approve what its evidence and policies show, not that "
            "the gate made it\n"
        )
    decision = Decision.model_validate_json(files["decision.json"])
    why = refusal(decision)
    if why is not None:
        err.write(f"govgate: not approving {shown}: {visible(why)}\n")
        return decision.exit_code  # 4, 5 or 6: what the bundle's verdict exits with
    if unrequired(decision, args.role):
        err.write(
            f"govgate: warning: no policy in this decision requires approval from "
            f"{visible(args.role)}: the approval is written, and counts only where one does\n"
        )
    data = issue(
        decision,
        key,
        role=args.role,
        now=now,
        expires=expires,
        approver=args.approver,
        email=args.email,
        comment=args.comment,
    )
    atomic_write(target, data, mode=0o644)
    cand, basis = decision.candidate, decision.approvals.basis if decision.approvals else None
    err.write(
        f"govgate: approval written to {target}: {visible(args.role)} for "
        f"{visible(cand.model or '')} v{visible(cand.version or '')} at stage {decision.stage}, "
        f"decision basis {basis.sha256[:16] if basis else '?'}..., key "
        f"{keyid(key.public_key())[:16]}..., expires {expires}\n"
    )
    return ExitCode.OK
