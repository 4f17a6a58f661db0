"""Params, tags and other run strings: allow-listed, and secrets redacted before any copy.

Two layers. First, only keys that an allow-list names are kept (the rest are listed by key, as
dropped). Then every kept value is checked twice: by its key (``*api_key*``, ``*secret*``,
``*token*``, ``*password*``, ...; numbers and booleans under such keys are kept, so
``max_tokens=512`` survives) and by its content (API key, cloud credential and private key
formats, JWTs, credentials in URLs, bearer tokens). A redacted value becomes ``[REDACTED]`` and
the redaction is recorded with its reason, never with the value.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass

REDACTED = "[REDACTED]"

DEFAULT_PARAM_ALLOW = ("*",)
DEFAULT_TAG_ALLOW = (
    "govgate.*",
    "mlflow.runName",
    "mlflow.source.git.commit",
    "mlflow.source.git.branch",
    "mlflow.source.name",
    "mlflow.source.type",
    "stage",
    "model*",
    "dataset*",
    "team",
    "owner",
)

_SECRET_KEY = re.compile(
    r"(?i)(api[_\-.]?key|secret|token|passw(or)?d|passwd|credential|auth|private[_\-.]?key"
    r"|access[_\-.]?key|session|cookie|signature|connection[_\-.]?string|dsn)"
)
_PLAIN_NUMBER = re.compile(
    r"^\s*(-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|True|False|none|None)\s*$"
)

SECRET_VALUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("api-key", re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}")),
    ("aws-access-key", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}")),
    ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}")),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}")),
    ("private-key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("url-credentials", re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:[^/\s@]+@")),
    ("bearer-token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]{16,}")),
)


#: All value patterns as one alternation, for vectorised scans (RE2-compatible).
SECRET_PATTERN = "|".join(f"(?:{pattern.pattern})" for _, pattern in SECRET_VALUES)


@dataclass(frozen=True, slots=True)
class RedactionPolicy:
    """Which param and tag keys are kept (glob patterns); secrets are always redacted."""

    param_allow: tuple[str, ...] = DEFAULT_PARAM_ALLOW
    tag_allow: tuple[str, ...] = DEFAULT_TAG_ALLOW


def secret_reason(key: str, value: str) -> str | None:
    """Why ``value`` (under ``key``) must not be copied, or None when it may be."""
    for name, pattern in SECRET_VALUES:
        if pattern.search(value):
            return f"value looks like a {name}"
    if _SECRET_KEY.search(key) and not _PLAIN_NUMBER.match(value):
        return "key names a secret"
    return None


def scrub(text: str) -> tuple[str, str | None]:
    """``text`` with secrets cut out (for free text such as URIs and sources), and why."""
    reason = None
    for name, pattern in SECRET_VALUES:
        if pattern.search(text):
            reason = f"value looks like a {name}"
            if name == "url-credentials":
                text = pattern.sub(
                    lambda m: m.group(0).split("://")[0] + "://" + REDACTED + "@", text
                )
            else:
                text = pattern.sub(REDACTED, text)
    return text, reason


def filter_values(
    values: Mapping[str, str], allow: tuple[str, ...]
) -> tuple[dict[str, str], list[tuple[str, str]], list[str]]:
    """Keep allow-listed keys, redact secrets; return (kept, [(key, reason)], dropped keys)."""
    kept: dict[str, str] = {}
    redactions: list[tuple[str, str]] = []
    dropped: list[str] = []
    for key in sorted(values):
        if not any(fnmatch.fnmatchcase(key, pattern) for pattern in allow):
            dropped.append(key)
            continue
        value = str(values[key])
        reason = secret_reason(key, value)
        if reason is not None:
            kept[key] = REDACTED
            redactions.append((key, reason))
        else:
            kept[key] = value
    return kept, redactions, dropped
