"""Secrets never enter a snapshot: one detector for every string read from a run.

Three layers, applied by :func:`secret_reason` and :func:`scrub`:

1. **Formats** (:data:`RULES`): the credential formats of the services ML platforms use (cloud,
   code hosts, model hubs, LLM APIs, payment, chat, package registries, databases), private key
   blocks, JWTs, credentials in URLs and connection strings, and ``key=value`` pairs whose key
   names a secret (``password=``, ``&sig=``, ``AccountKey=``). The formats follow gitleaks'
   default rules and detect-secrets' plugins, rewritten so that every pattern is also valid RE2:
   :data:`SECRET_PATTERN` scans a million item ids in one vectorised pass (pyarrow), which the
   libraries themselves, line by line in Python and with look-arounds RE2 lacks, cannot do.
2. **Keys**: a param or tag whose key *ends* in a word that names a secret (``db_pwd``,
   ``aws_sk``, ``HF_TOKEN``, ``client_secret``, ``api_key``) has its value redacted whatever the
   value is; a key that only mentions one (``max_tokens``, ``tokenizer``, ``token_budget``,
   ``password_min_length``) is a setting about secrets, not a secret.
3. **Randomness**: a long token that looks random (upper, lower and digits mixed, high entropy,
   not a hex digest) is treated as a secret, as detect-secrets' high-entropy plugins do, with the
   hex alphabet exempt so that content digests, run ids and commit SHAs survive.

A redacted value becomes ``[REDACTED]``; the redaction is recorded with its reason (the kind of
secret), never with the value. :func:`redact_run` applies the detector to every string of a run's
evidence (keys and names included) before it enters a snapshot. ``tests/hardening/`` measures
recall and false positives on a corpus of realistic secrets and harmless look-alikes.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
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
    "risk_tier",
)


@dataclass(frozen=True, slots=True)
class Rule:
    """A secret format. ``pattern`` is valid in both Python ``re`` and RE2; when it has a
    capturing group, the group that matched is the secret (the rest says where it is)."""

    kind: str
    pattern: str


# The last word of a key in ``key=value`` text that makes the value a secret; "sig" and "pass"
# are left to the key check (``&sig=`` has its own format; ``bypass=true`` is no secret).
_KEY_WORD = (
    r"(?:passwd|password|passphrase|pwd|secret|token|signature|client[_.\-]?secret"
    r"|(?:api|access|secret|private|account|auth|signing|master|encryption|session)[_.\-]?key)"
)
_CAMEL_KEY_WORD = (
    r"(?:Password|Passwd|Pwd|Secret|Token|ApiKey|Apikey|AccessKey|PrivateKey|AccountKey"
    r"|SecretKey|ClientSecret)"
)
# A key of separator-joined words whose last word names a secret (``aws_secret_access_key``,
# ``DB_PASSWORD``, ``dbPassword``; not ``max_tokens`` or ``token_budget``).
_SECRET_KEY_TEXT = (
    r"(?:(?:^|[^A-Za-z0-9])(?i:(?:[A-Za-z0-9]+[_.\-])*" + _KEY_WORD + r")"
    r"|[a-z0-9]" + _CAMEL_KEY_WORD + r")"
)
_VALUE_START = r"[^\s\"'`;&,<>|$%{\[(]"
_VALUE_CHAR = r"[^\s\"'`;&,<>|]"

RULES: tuple[Rule, ...] = (
    Rule("private-key", r"-----BEGIN(?:[ A-Z0-9_\-]|\\n){0,40}PRIVATE KEY(?: BLOCK)?-----"),
    Rule("aws-access-key", r"(?:\b|_)(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?:\b|_)"),
    Rule("github-token", r"(?:\b|_)gh[pousr]_[A-Za-z0-9]{30,}"),
    Rule("github-fine-grained-token", r"\bgithub_pat_[A-Za-z0-9_]{40,}"),
    Rule("gitlab-token", r"\bgl(?:pat|dt|ptt|rt|cbt|imt|agent|oas)-[A-Za-z0-9_\-]{20,}"),
    Rule("slack-token", r"\bxox[abposre]-[A-Za-z0-9\-]{10,}"),
    Rule(
        "slack-webhook", r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_\-]{20,}"
    ),
    Rule("stripe-key", r"\b(?:sk|rk|pk)_(?:live|test|prod)_[A-Za-z0-9]{10,}"),
    Rule("openai-or-anthropic-key", r"(?:\b|_)sk-[A-Za-z0-9_\-]{16,}"),
    Rule("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    Rule("huggingface-token", r"(?:\b|_)hf_[A-Za-z0-9]{30,}"),
    Rule("npm-token", r"\bnpm_[A-Za-z0-9]{36}"),
    Rule("pypi-token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{20,}"),
    Rule("langsmith-key", r"\blsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}\b"),
    Rule(
        "wandb-api-key",  # bare hex: only the command or the key name gives it away
        r"(?i:wandb\s+login(?:\s+--?[a-z\-]+)*\s+)([0-9a-f]{40})\b",
    ),
    Rule("twilio-key", r"\bSK[0-9a-fA-F]{32}\b"),
    Rule("sendgrid-key", r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"),
    Rule("mailchimp-key", r"\b[0-9a-f]{32}-us[0-9]{1,2}\b"),
    Rule("databricks-token", r"\bdapi[0-9a-f]{32}(?:-[0-9])?\b"),
    Rule("shopify-token", r"\bshp(?:at|ca|pa|ss)_[A-Fa-f0-9]{32}"),
    Rule(
        "discord-token", r"\b[MNO][A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,40}"
    ),
    Rule("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    Rule("azure-sas-signature", r"(?i:[?&;]sig=)([A-Za-z0-9%+/=]{16,})"),
    Rule("url-credentials", r"[A-Za-z][A-Za-z0-9+.\-]*://([^/\s:@]*:[^/\s@]+)@"),
    Rule("bearer-token", r"(?i:\bbearer\s+)([A-Za-z0-9._~+/\-]{16,}=*)"),
    Rule("basic-auth", r"(?i:\bbasic\s+)([A-Za-z0-9+/]{16,}={0,2})"),
    Rule(
        "authorization-header",  # Authorization: Token abc..., Authorization=Bearer ...
        r"(?i:\bauthorization\s*[:=]\s*(?:[A-Za-z]+\s+)?)([A-Za-z0-9._~+/\-]{8,}=*)",
    ),
    Rule("cli-user-password", r"(?:^|\s)(?:-u|--user)\s+[^\s:]+:([^\s]+)"),  # curl -u a:b
    Rule("mysql-password", r"\bmysql(?:dump|admin)?\b[^\n]*?\s-p([^\s]{3,})"),
    Rule("oracle-jdbc-password", r"(?i:jdbc:oracle:[a-z]+:)[^/\s@:]+/([^@\s]+)@"),
    Rule(
        "secret-assignment",  # password=..., AccountKey=...;, api_key => ...
        _SECRET_KEY_TEXT + r"[\"']?\s*=>?\s*[\"']?(" + _VALUE_START + _VALUE_CHAR + r"{3,})",
    ),
    Rule(
        "secret-field",  # "api_key": "x", passwd: 'x', password: s3cr3t; not "password: refuse"
        _SECRET_KEY_TEXT
        + r"(?:[\"']?\s*:\s*[\"']("
        + _VALUE_START
        + _VALUE_CHAR
        + r"{3,})"
        + r"|\s*:\s*("
        + _VALUE_START
        + _VALUE_CHAR
        + r"{0,80}[0-9!@#*+/=_~]"
        + _VALUE_CHAR
        + r"*))",
    ),
    Rule(
        "secret-option",  # --password VALUE, --aws-secret-access-key VALUE on a command line
        r"(?:^|\s)--?(?i:(?:[A-Za-z0-9]+[\-_])*"
        + _KEY_WORD
        + r")\s+("
        + _VALUE_START
        + _VALUE_CHAR
        + r"{7,})",
    ),
)

_COMPILED = tuple((rule.kind, re.compile(rule.pattern)) for rule in RULES)

#: All formats as one alternation, for vectorised scans (RE2-compatible).
SECRET_PATTERN = "|".join(f"(?:{rule.pattern})" for rule in RULES)

# A key whose last word (or last two) names a secret: ``db_pwd``, ``aws_sk``, ``OpenAIApiKey``.
_SECRET_LAST_WORDS = frozenset(
    {
        "password", "passwd", "passphrase", "pwd", "pass", "secret", "token", "apikey", "sk",
        "pw", "pswd", "passcode", "passkey", "connstr", "htpasswd", "netrc",
        "credential", "credentials", "signature", "sig", "cookie", "dsn", "authorization",
        "privatekey", "pat", "jwt", "bearer",
    }
)  # fmt: skip
_SECRET_LAST_PAIRS = frozenset(
    {
        ("api", "key"), ("access", "key"), ("secret", "key"), ("private", "key"),
        ("account", "key"), ("auth", "key"), ("auth", "header"), ("connection", "string"),
        ("client", "secret"), ("session", "key"), ("signing", "key"), ("master", "key"),
        ("shared", "key"), ("encryption", "key"), ("sas", "url"), ("sas", "key"),
        ("basic", "auth"), ("conn", "str"), ("pass", "phrase"), ("subscription", "key"),
    }
)  # fmt: skip
_TRIVIAL = re.compile(r"^\s*(true|false|none|null|yes|no|)\s*$", re.IGNORECASE)
_WORD = re.compile(r"(?i:base64|b64)|[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_TOKEN = re.compile(r"[A-Za-z0-9+/=]{24,}")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


@dataclass(frozen=True, slots=True)
class RedactionPolicy:
    """Which param and tag keys are kept (glob patterns); secrets are always redacted."""

    param_allow: tuple[str, ...] = DEFAULT_PARAM_ALLOW
    tag_allow: tuple[str, ...] = DEFAULT_TAG_ALLOW


def _words(key: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(key)]


# A tokenizer's special tokens (``pad_token: "<pad>"``) are vocabulary, not credentials.
_TOKENIZER_ROLES = frozenset(
    {"pad", "eos", "bos", "unk", "sep", "cls", "mask", "stop", "special", "start", "end"}
)


#: Trailing words that say how a secret is stored, not what it is: ``db_password_b64``.
_QUALIFIERS = frozenset(
    {"b64", "base64", "encoded", "enc", "value", "val", "str", "raw", "hex", "plain", "text"}
)
#: Last words that name a secret only when the value looks like a credential: ``wandb_key``
#: with 40 hex is one; ``primary_key: user_id`` or ``auth: oauth`` is a setting.
_WEAK_LAST_WORDS = frozenset({"key", "auth", "pin", "seed", "api", "access"})
_CREDENTIAL_LIKE = re.compile(r"^[A-Za-z0-9+/=_\-.~:]{12,}$")


def _credential_like(value: str) -> bool:
    """A single token with a long part that mixes letters and digits (a key, not a name)."""
    if not _CREDENTIAL_LIKE.match(value):
        return False
    parts = re.split(r"[_\-.:/]", value)
    return any(
        len(part) >= 12 and re.search(r"[0-9]", part) and re.search(r"[A-Za-z]", part)
        for part in parts
    )


def key_reason(key: str, value: str = "") -> str | None:
    """Why values under ``key`` are secrets (its last word names one), or None."""
    words = [w for w in _words(key) if not w.isdigit()]  # db_password_2 ends in "password"
    if tuple(words[-2:]) not in _SECRET_LAST_PAIRS:  # connection_string is one, not "string"
        while len(words) > 1 and words[-1] in _QUALIFIERS:
            words.pop()
    if not words or (words[-1] == "token" and words[-2:-1] and words[-2] in _TOKENIZER_ROLES):
        return None
    if words[-1] in _SECRET_LAST_WORDS or tuple(words[-2:]) in _SECRET_LAST_PAIRS:
        return "key names a secret"
    if words[-1] in _WEAK_LAST_WORDS and _credential_like(value.strip()):
        return "key names a secret and the value looks like one"
    return None


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


_DIGEST_PREFIX = re.compile(r"(?i:sha(?:1|224|256|384|512)|md5|blake2[bs]?)[-:]$")
_PLAIN_SEGMENT = re.compile(r"[a-z0-9\-]{0,15}")


def _secret_part(token: str) -> str:
    """``token`` without leading path segments that are plain names (``//bucket/``): a random
    key under a bucket is cut, the bucket kept."""
    parts = token.split("/")
    for index, part in enumerate(parts):
        if not _PLAIN_SEGMENT.fullmatch(part):
            return "/".join(parts[index:])
    return token


def random_token(text: str) -> str | None:
    """A token in ``text`` that looks randomly generated (a key, a password), or None.

    Hex strings are exempt (content digests, run ids, commit SHAs are hex and not secrets);
    words joined by ``/`` or ``=`` (paths, ``a=b`` settings) are too, since each part is short
    or a word. What remains must mix upper case, lower case and digits with high entropy.
    """
    for match in _TOKEN.finditer(text):
        token = _secret_part(match.group(0).rstrip("="))
        if len(token) < 24 or _HEX.match(token):
            continue
        if _DIGEST_PREFIX.search(text, 0, match.start()):  # sha256-<base64>: a digest (SRI)
            continue
        if not (any(c.isupper() for c in token) and any(c.islower() for c in token)):
            continue
        if sum(c.isdigit() for c in token) < 2:
            continue
        if max(len(part) for part in token.split("/")) < 12:  # a path of short segments
            continue
        if _entropy(token) >= 4.0:
            return token
    return None


#: Formats whose match needs a second look in Python (RE2 has no look-around): the value
#: after ``password=`` or ``Bearer`` must not be a placeholder, a flag or a plain word.
_CHECKED = frozenset(
    {"secret-assignment", "secret-field", "secret-option", "basic-auth", "bearer-token"}
)
_NOT_A_SECRET = re.compile(
    r"(?i)^(none|null|nil|true|false|yes|no|\*+|x+|-?\d+(\.\d+)?([a-z%]{0,3}))$"
)


def _real(kind: str, match: re.Match[str]) -> bool:
    """Whether a match of ``kind`` is a secret, not a look-alike the pattern alone lets in."""
    if kind not in _CHECKED:
        return True
    group = next((i for i in range(1, (match.re.groups or 0) + 1) if match.group(i)), 0)
    value = match.group(group)
    if _NOT_A_SECRET.match(value):  # use_auth_token=True, max_token: 4096, per token: 12ms
        return False
    if kind in ("basic-auth", "bearer-token"):  # "basic internationalization" is prose
        classes = sum(bool(re.search(c, value)) for c in ("[a-z]", "[A-Z]", "[0-9]", "[+/=_.~-]"))
        return classes >= 2
    key = match.group(0)[: match.start(group) - match.start(0)]
    words = [w for w in _words(key) if not w.isdigit()]
    return not (len(words) >= 2 and words[-1] == "token" and words[-2] in _TOKENIZER_ROLES)


def _format(text: str) -> str | None:
    for kind, pattern in _COMPILED:
        if any(_real(kind, match) for match in pattern.finditer(text)):
            return kind
    return None


def _decoded(text: str) -> str | None:
    """``text`` with URL escapes decoded, when it has any (``password%3Dhunter2``)."""
    if "%" not in text:
        return None
    from urllib.parse import unquote

    decoded = unquote(text)
    return decoded if decoded != text else None


def value_reason(text: str) -> str | None:
    """Why ``text`` holds a secret by its content alone, or None."""
    kind = _format(text)
    if kind is not None:
        return f"value looks like a {kind}"
    encoded = _format(_decoded(text) or "")
    if encoded is not None:
        return f"value looks like a URL-encoded {encoded}"
    if random_token(text) is not None:
        return "value looks like a high-entropy secret"
    return None


def secret_reason(key: str, value: str) -> str | None:
    """Why ``value`` (under ``key``) must not be copied, or None when it may be. A value that
    is JSON (a tag such as ``govgate.provenance``) is read too: a secret spelled with JSON
    escapes (``\\u0073k-...``) is one once decoded."""
    reason = value_reason(value)
    if reason is None and not _TRIVIAL.match(value):
        reason = key_reason(key, value)
    if reason is None and value[:1] in ("{", "["):
        reason = _json_reason(value)
    return reason


def _json_reason(text: str) -> str | None:
    """Why a string inside the JSON document ``text`` (a key or a value) is a secret."""
    import json

    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None  # not JSON: the text itself was scanned
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and (reason := value_reason(item)) is not None:
            return f"{reason} (inside JSON)"
    return None


def scrub(text: str) -> tuple[str, str | None]:
    """``text`` with secrets cut out (for free text such as URIs and sources), and why.

    Only the secret is cut where a rule says which part it is (``https://[REDACTED]@host``,
    ``password=[REDACTED]``); otherwise the whole match. Passes repeat until one finds nothing
    (a cut can reveal a format, ``user:[REDACTED]@``), so the result is clean: scrubbing it
    again changes nothing, which is what lets a snapshot govgate wrote be read back.
    """
    first = None
    for _ in range(_MAX_PASSES):
        text, reason = _scrub_once(text)
        if reason is None:
            return text, first
        first = first or reason
    return REDACTED, first  # still finding secrets after every pass: keep nothing


_MAX_PASSES = 8


def _scrub_once(text: str) -> tuple[str, str | None]:
    reason = None
    for kind, pattern in _COMPILED:
        if any(_real(kind, match) for match in pattern.finditer(text)):
            reason = reason or f"value looks like a {kind}"
            text = pattern.sub(_cutter(kind), text)
    encoded = _format(_decoded(text) or "")
    if encoded is not None:  # cannot be cut where it lies
        return REDACTED, reason or f"value looks like a URL-encoded {encoded}"
    token = random_token(text)
    while token is not None:
        reason = reason or "value looks like a high-entropy secret"
        text = text.replace(token, REDACTED)
        token = random_token(text)
    return text, reason


def _cutter(kind: str) -> Callable[[re.Match[str]], str]:
    def cut(match: re.Match[str]) -> str:
        return _cut(match) if _real(kind, match) else match.group(0)

    return cut


def _cut(match: re.Match[str]) -> str:
    group = next((i for i in range(1, match.re.groups + 1) if match.group(i) is not None), 0)
    if group == 0:
        return REDACTED
    start, end = match.span(group)
    whole = match.group(0)
    offset = match.start(0)
    return whole[: start - offset] + REDACTED + whole[end - offset :]


def filter_values(
    values: Mapping[str, str], allow: tuple[str, ...]
) -> tuple[dict[str, str], list[tuple[str, str]], list[str]]:
    """Keep allow-listed keys, redact secrets; return (kept, [(key, reason)], dropped keys).

    A key that is itself a secret (a token logged as a param name) is neither kept nor listed
    as dropped: its entry is recorded as ``[REDACTED]`` with the reason.
    """
    kept: dict[str, str] = {}
    redactions: list[tuple[str, str]] = []
    dropped: list[str] = []
    for key in sorted(values):
        named = value_reason(key)
        if named is not None:
            redactions.append((REDACTED, f"key {named.removeprefix('value ')}"))
            continue
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


Path = tuple[str | int, ...]


def redact_tree(value: object, path: Path = ()) -> tuple[object, list[tuple[Path, str]]]:
    """``value`` (JSON data: dicts, lists, strings, numbers) with every secret cut out.

    Every string is scrubbed, and every dict key is checked: an entry whose key is itself a
    secret is dropped (recorded at ``path + ("[REDACTED]",)``), since a key cannot be cut
    without losing what it names. Returns the clean copy and ``[(path, reason)]``.
    """
    found: list[tuple[Path, str]] = []

    def walk(node: object, where: Path) -> object:
        if isinstance(node, str):
            clean, reason = scrub(node)
            if reason is not None:
                found.append((where, reason))
            return clean
        if isinstance(node, list):
            return [walk(item, (*where, index)) for index, item in enumerate(node)]
        if isinstance(node, dict):
            kept: dict[str, object] = {}
            for key, item in node.items():
                named = value_reason(key)
                if named is not None:
                    found.append(((*where, REDACTED), f"key {named.removeprefix('value ')}"))
                    continue
                kept[key] = walk(item, (*where, key))
            return kept
        return node

    return walk(value, path), found
