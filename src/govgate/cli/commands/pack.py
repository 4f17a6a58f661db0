"""``govgate pack build|verify``, and how every command that loads policies trusts packs.

:func:`pack_trust` turns ``--policy-key`` (else ``$GOVGATE_POLICY_KEY``) and
``--unsafe-unsigned-pack`` into the :class:`~govgate.policy.packs.PackTrust` the use cases take:
with a key, every pack must be signed by it; without one, ``check``, ``replay``, ``diff``,
``serve``, ``eval run`` and ``evidence snapshot`` refuse a pack (``pack.no-key``, exit 3)
unless ``--unsafe-unsigned-pack`` is given (integrity checked, signer not; a warning says so),
and ``validate`` and ``test``, which decide no release, check integrity and say the signature
was not checked.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from govgate.display import visible
from govgate.errors import PolicyInvalidError, UsageError
from govgate.exitcodes import ExitCode

if TYPE_CHECKING:
    from govgate.policy.compiled import PolicySet
    from govgate.policy.packs import PackTrust

#: where the command line reads the pack signer's public key when no ``--policy-key`` is given
POLICY_KEY_ENV = "GOVGATE_POLICY_KEY"


def pack_trust(
    args: argparse.Namespace, err: TextIO | None = None, *, integrity_only: bool = False
) -> PackTrust:
    """How this command trusts policy packs; ``integrity_only`` for commands that decide no
    release (``validate``, ``test``). A key that cannot be read is a usage error (exit 2)."""
    from govgate.policy.packs import PackTrust

    path = getattr(args, "policy_key", None) or os.environ.get(POLICY_KEY_ENV) or None
    key = None
    if path is not None:
        from govgate.dsse import load_public

        key = load_public(Path(path))
    unsafe = bool(getattr(args, "unsafe_unsigned_pack", False))
    if unsafe and key is None and err is not None:
        err.write(
            "govgate: warning: --unsafe-unsigned-pack: policy packs are loaded with their "
            "integrity checked, not who signed them\n"
        )
    return PackTrust(key=key, require_signature=not (integrity_only or unsafe))


def origin_lines(out: TextIO, policy_set: PolicySet) -> None:
    """One line for each pack and git source the policies came from (shown, never obeyed)."""
    from govgate.policy.origins import OriginKind

    for origin in policy_set.origins:
        if origin.kind in (OriginKind.PACK, OriginKind.GIT):
            out.write(f"  from {visible(origin.describe())}\n")


def cmd_pack(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.pack_command == "build":
        return _build(args, out, err)
    return _verify(args, out, err)


def _build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate._version import __version__
    from govgate.dsse import keyid, load_private
    from govgate.files import atomic_write
    from govgate.policy.packs import SUFFIXES, build_pack
    from govgate.usecases.validate import run_validate

    folder = Path(args.path)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder", hint="pack build packs a folder of policies")
    output = Path(args.output)
    if not output.name.endswith(SUFFIXES):
        raise UsageError(f"--output {output}: a pack is a .tgz (or .tar.gz) file")
    key = load_private(Path(args.sign_key))
    name = args.name or folder.resolve().name
    outcome = run_validate([str(folder)])  # what `govgate validate DIR` accepts, nothing less
    if outcome.problems:
        raise PolicyInvalidError(list(outcome.problems))
    policy_set = outcome.policy_set
    files = [(Path(s.path).relative_to(folder).as_posix(), s.data) for s in policy_set.sources]
    data = build_pack(
        files,
        name=name,
        version=args.version,
        key=key,
        created_from={"directory": folder.resolve().name, "govgate_version": __version__},
    )
    atomic_write(output, data, mode=0o644)
    left = len(outcome.tests.tests) + len(outcome.other_sources)
    out.write(
        f"pack {visible(name)} {visible(args.version)} written to {visible(str(output))}: "
        f"{len(files)} files ({len(policy_set.policies)} policies, {policy_set.rule_count} "
        f"rules, {len(policy_set.waivers)} waivers), policy set {policy_set.digest()}, "
        f"signed by key {keyid(key.public_key())}\n"
    )
    if left:
        out.write(f"  not packed: {left} policy test and eval suite files\n")
    return ExitCode.OK


def _verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.bundle import reader
    from govgate.bundle.limits import BundleError
    from govgate.bundle.verify import check_packs
    from govgate.dsse import load_public
    from govgate.policy.packs import MANIFEST, PackTrust, load_pack

    key = load_public(Path(args.key))
    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"{path}: no such pack or bundle")
    shown = visible(str(path))
    try:
        files = reader.read(path)
    except BundleError:  # not a bundle: a pack, or neither (the pack reader says which)
        files = {MANIFEST: b""}
    if MANIFEST in files:
        pack, problems = load_pack(path, str(path), PackTrust(key=key))
        if pack is None:
            raise PolicyInvalidError(problems)
        out.write(f"{shown}: verified: {visible(pack.origin.describe())}\n")
        return ExitCode.OK
    problems_found, records = check_packs(files, key)
    if problems_found:
        count = len(problems_found)
        out.write(f"{shown}: NOT VERIFIED ({count} problem{'s' if count != 1 else ''})\n")
        out.writelines(f"  {visible(p)}\n" for p in problems_found)
        return ExitCode.VERIFY_FAILED
    if not records:  # asked which pack decided: none did, which is not a verified pack
        out.write(f"{shown}: NOT VERIFIED: the bundle records no policy pack\n")
        return ExitCode.VERIFY_FAILED
    for record in records:
        pack_record = record["pack"]
        out.write(
            f"{shown}: pack {visible(str(pack_record.get('name')))} "
            f"{visible(str(pack_record.get('version')))} ({visible(str(record['source']))}): "
            "signature verified, its files are the bundled policies\n"
        )
    return ExitCode.OK
