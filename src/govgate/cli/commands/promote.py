"""``govgate promote`` and ``govgate revert``: move an alias from a verified bundle, and back.

The key a bundle's signature must verify under is configured by ``--key`` or by
``$GOVGATE_BUNDLE_KEY`` (the path of a public key file); both may be given only if they are
the same key. With neither, ``promote`` refuses unless ``--unsafe-no-key`` says otherwise.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from govgate.cli import options
from govgate.cli.output import error_text
from govgate.errors import UsageError

if TYPE_CHECKING:
    from govgate.usecases.promote import KeyChoice

#: names the public key file every promoted bundle's signature must verify under
BUNDLE_KEY_ENV = "GOVGATE_BUNDLE_KEY"


def _keys(given: str | None, option: str = "--key") -> list[KeyChoice]:
    from govgate.usecases.promote import KeyChoice

    keys = []
    if given:
        keys.append(KeyChoice(Path(given), option))
    configured = os.environ.get(BUNDLE_KEY_ENV)
    if configured is not None:
        if not configured.strip():  # a CI secret that did not arrive must not mean "no key"
            raise UsageError(
                f"${BUNDLE_KEY_ENV} is set but empty: it must name the public key file the "
                "bundles' signatures verify under",
                hint="set it to the .pub file, or unset it and pass --key PUB",
            )
        keys.append(KeyChoice(Path(configured.strip()), f"${BUNDLE_KEY_ENV}"))
    return keys


def cmd_promote(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.usecases.promote import PromoteSettings, RefusedError, run_promote

    settings = PromoteSettings(
        bundle=Path(args.bundle),
        alias=args.alias,
        mlflow=options.mlflow_settings(args),
        clock=options.clock(),
        keys=_keys(args.key),
        unsafe_no_key=args.unsafe_no_key,
        environment=options.environment,
    )
    if settings.unsafe_no_key and not settings.keys:
        err.write(
            "govgate: warning: --unsafe-no-key: the bundle's signature is NOT checked; anyone "
            "who can run govgate could have written it, with policies of their own\n"
        )
    try:
        outcome = run_promote(settings)
    except RefusedError as exc:
        error_text(err, exc, prefix="promotion refused", code=exc.code)
        return exc.exit_code
    target = f"models:/{outcome.model}@{outcome.alias}"
    signature = "signature verified" if outcome.signature_verified else "signature NOT checked"
    if outcome.already:
        out.write(
            f"{target} already points to version {outcome.version} by this bundle's decision: "
            "nothing to do\n"
        )
    else:
        out.write(
            f"promoted {target} to version {outcome.version} (was "
            f"{outcome.previous or 'unset'}) from {outcome.bundle}: verdict {outcome.verdict}, "
            f"decision {outcome.decision_sha256[:12]}, {signature}\n"
        )
    return outcome.exit_code


def cmd_revert(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.usecases.promote import RefusedError, RevertSettings, run_revert

    settings = RevertSettings(
        model=args.model,
        alias=args.alias,
        reason=args.reason,
        mlflow=options.mlflow_settings(args),
        clock=options.clock(),
        environment=options.environment,
    )
    try:
        outcome = run_revert(settings)
    except RefusedError as exc:
        error_text(err, exc, prefix="revert refused", code=exc.code)
        return exc.exit_code
    out.write(
        f"reverted models:/{outcome.model}@{outcome.alias} to version {outcome.moved_to} "
        f"(was {outcome.moved_from})\n"
    )
    return outcome.exit_code
