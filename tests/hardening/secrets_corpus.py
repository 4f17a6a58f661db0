"""A corpus for measuring a secret detector on what MLflow runs hold.

`SECRETS` are credentials in the shapes real services issue them (prefixes, lengths and
alphabets as in gitleaks' default rules and detect-secrets' plugins), each in a context an ML
platform's runs really show them: a param logged from `vars(args)`, a git remote URL in
`mlflow.source.git.repoURL`, a dataset source, a CLI line kept as a tag, a note, an error
message. A test plants every one in run params, tags, metric names, dataset sources,
experiment names and item-table columns; nothing of a secret may reach govgate's output.

`LOOKALIKES` are things real runs hold that a good detector must leave alone: digests, commit
SHAs, run ids, URIs and paths without credentials, keys such as `max_tokens` whose names
sound secret, prose that mentions passwords. A test plants each and expects it unchanged.

Every value is FAKE. Each secret-shaped string is assembled at import time from a prefix and a
body drawn by `random.Random(<seed>)` over the format's alphabet, so this file holds no
literal token that a repository secret scanner would flag, and no value was ever issued by a
service. Look-alikes are built the same way (or from `hashlib` over descriptive bytes) so that
their digests are deterministic.

`key` is the param or tag key a sample realistically sits under when the key matters (a bare
40-character string is only an AWS secret key under `aws_sk`); it is None when the value alone
gives the secret away.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import uuid
import zlib
from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["LOOKALIKES", "SECRETS", "Sample", "kinds"]


@dataclass(frozen=True)
class Sample:
    kind: str
    value: str
    key: str | None = None
    note: str = ""


# Alphabets of the real formats.
_DIGITS = string.digits
_HEX = "0123456789abcdef"
_ALNUM = string.ascii_letters + string.digits
_LOWER_ALNUM = string.ascii_lowercase + string.digits
_LETTERS = string.ascii_letters
_B32_UPPER = string.ascii_uppercase + "234567"  # AWS access key ids after the prefix
_B64 = _ALNUM + "+/"
_URLSAFE = _ALNUM + "-_"
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_DJANGO = string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)"


def _body(n: int, seed: str, alphabet: str = _ALNUM) -> str:
    """`n` characters of `alphabet`, the same for the same seed on every run and platform."""
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


def _raw(n: int, seed: str) -> bytes:
    return random.Random(seed).randbytes(n)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _base62(number: int, width: int) -> str:
    out = ""
    while number:
        number, digit = divmod(number, 62)
        out = _BASE62[digit] + out
    return out.rjust(width, "0")


def _github(prefix: str, seed: str) -> str:
    """A GitHub token: prefix, 30 random base62 characters, a 6-character CRC32 in base62."""
    random_part = _body(30, seed)
    return prefix + random_part + _base62(zlib.crc32(random_part.encode("ascii")), 6)


def _pem(label: str, der_prefix: bytes, n_bytes: int, seed: str, sep: str = "\n") -> str:
    """A PEM block with a base64 body of 64-character lines; the armour split so no literal
    header sits in this file."""
    body = _b64(der_prefix + _raw(n_bytes, seed))
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    dashes = "-" * 5
    begin = dashes + "BEGIN " + label + " KEY" + dashes
    end = dashes + "END " + label + " KEY" + dashes
    return sep.join([begin, *lines, end]) + sep


def _pkcs8_prefix(length: int) -> bytes:
    """DER start of a PKCS#8 RSA key: SEQUENCE, version 0, rsaEncryption, the OCTET STRING."""
    rsa_encryption = bytes([0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01])
    return (
        b"\x30\x82"
        + length.to_bytes(2, "big")
        + b"\x02\x01\x00\x30\x0d"
        + rsa_encryption
        + b"\x05\x00"
        + b"\x04\x82"
        + (length - 22).to_bytes(2, "big")
    )


def _pgp_private_block(seed: str) -> str:
    body = _b64(b"\x95\x03\x98\x04" + _raw(470, seed))
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    checksum = "=" + _body(4, seed + "-crc", _B64)
    dashes = "-" * 5
    label = "PGP PRIVATE KEY BLOCK"
    return "\n".join(
        [dashes + "BEGIN " + label + dashes, "", *lines, checksum, dashes + "END " + label + dashes]
    )


def _password(seed: str) -> str:
    """A human-chosen password: word, symbol, word, digits (what people type, not entropy)."""
    rng = random.Random(seed)
    words = [
        "Lisbon", "Falcon", "Autumn", "Harbor", "Quartz", "Maple", "Orbit", "Cobalt",
        "Tundra", "Saffron", "Gecko", "Marble", "Juniper", "Pixel", "Walrus", "Zephyr",
    ]  # fmt: skip
    first, second = rng.sample(words, 2)
    return first + rng.choice("#!$%*&") + second + str(rng.randrange(10, 99)) + rng.choice("!?@")


def _url_password(seed: str) -> str:
    """A human password as it sits in a URL: percent-encoded, as SQLAlchemy and pip need."""
    return quote(_password(seed), safe="")


def _jwt(seed: str, *, alg: str, claims: dict[str, object], sig_bytes: int) -> str:
    header = {"alg": alg, "typ": "JWT", "kid": _body(8, seed + "-kid", _LOWER_ALNUM)}
    sep = (",", ":")
    return ".".join(
        [
            _b64url(json.dumps(header, separators=sep).encode()),
            _b64url(json.dumps(claims, separators=sep).encode()),
            _b64url(_raw(sig_bytes, seed + "-sig")),
        ]
    )


def _discord_bot(seed: str) -> str:
    snowflake = "1" + _body(18, seed + "-id", _DIGITS)
    return ".".join(
        [
            _b64url(snowflake.encode()),
            _body(6, seed + "-ts", _URLSAFE),
            _body(38, seed + "-hmac", _URLSAFE),
        ]
    )


def _sas_sig(seed: str) -> str:
    return quote(_b64(_raw(32, seed)), safe="")


# ----------------------------------------------------------------------------------------------
# Pieces shared by several secret samples (each value is still distinct).

_AKIA_1 = "AKIA" + _body(16, "aws-akid-1", _B32_UPPER)
_ASIA_1 = "ASIA" + _body(16, "aws-akid-2", _B32_UPPER)
_AKIA_RCLONE = "AKIA" + _body(16, "aws-akid-3", _B32_UPPER)
_AKIA_MINIO = "AKIA" + _body(16, "aws-akid-4", _B32_UPPER)
_AKIA_DOCKER = "AKIA" + _body(16, "aws-akid-5", _B32_UPPER)
_AKIA_PRESIGN = "AKIA" + _body(16, "aws-akid-6", _B32_UPPER)

_AWS_SK = [_body(40, f"aws-sk-{i}", _B64) for i in range(1, 6)]

_OPENAI_MARK = "T3Blbk" + "FJ"  # base64 of "OpenAI", in the middle of every OpenAI key

_OPENAI_PROJ_1 = (
    "sk-"
    + "proj-"
    + _body(74, "openai-proj-1a", _URLSAFE)
    + _OPENAI_MARK
    + _body(74, "openai-proj-1b", _URLSAFE)
)
_OPENAI_PROJ_2 = (
    "sk-"
    + "proj-"
    + _body(58, "openai-proj-2a", _URLSAFE)
    + _OPENAI_MARK
    + _body(58, "openai-proj-2b", _URLSAFE)
)
_OPENAI_SVCACCT = (
    "sk-"
    + "svcacct-"
    + _body(74, "openai-svc-a", _URLSAFE)
    + _OPENAI_MARK
    + _body(74, "openai-svc-b", _URLSAFE)
)
_OPENAI_LEGACY = "sk-" + _body(20, "openai-legacy-a") + _OPENAI_MARK + _body(20, "openai-legacy-b")


def _anthropic(seed: str) -> str:
    return "sk-" + "ant-" + "api03-" + _body(93, seed, _URLSAFE) + "AA"


def _hf(seed: str) -> str:
    return "hf" + "_" + _body(34, seed, _LETTERS)


def _google_api_key(seed: str) -> str:
    return "AI" + "za" + "Sy" + _body(33, seed, _URLSAFE)


def _slack_webhook(seed: str) -> str:
    team = "T" + _body(10, seed + "-t", string.ascii_uppercase + _DIGITS)
    channel = "B" + _body(10, seed + "-b", string.ascii_uppercase + _DIGITS)
    return "https://hooks." + "slack.com/services/" + "/".join([team, channel, _body(24, seed)])


def _pypi(seed: str) -> str:
    # A macaroon: version 2, location "pypi.org", then identifier and signature bytes.
    return "pypi-" + _b64url(b"\x02\x01\x08pypi.org\x02\x25" + _raw(150, seed))


def _azure_account_key(seed: str) -> str:
    return _b64(_raw(64, seed))  # 88 characters, ending "=="


def _databricks(seed: str) -> str:
    return "dapi" + _body(32, seed, _HEX)


def _sql_password(seed: str) -> str:
    return _body(18, seed, _ALNUM + "!#%*-") + "9!"


_GCP_PKCS8 = _pem("PRIVATE", _pkcs8_prefix(0x04BD), 1180, "gcp-1")
_GCP_SA = {
    "type": "service_account",
    "project_id": "acme-ml-prod",
    "private_key_id": _body(40, "gcp-kid-1", _HEX),
    "private_key": _GCP_PKCS8,
    "client_email": "rag-eval@acme-ml-prod.iam.gserviceaccount.com",
    "client_id": _body(21, "gcp-cid-1", _DIGITS),
    "token_uri": "https://oauth2.googleapis.com/token",
}
_GCP_FRAGMENT = (
    '"private_key_id": "'
    + _body(40, "gcp-kid-2", _HEX)
    + '", "private_key": "'
    + _pem(
        "PRIVATE",
        _pkcs8_prefix(0x04BE),
        600,
        "gcp-2",
        "\\n",
    )
)[:420]

_SAS_COMMON = (
    "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-12-31T23:59:59Z&st=2026-11-01T00:00:00Z&spr=https"
)

_JWT_ID_TOKEN = _jwt(
    "jwt-1",
    alg="RS256",
    claims={
        "iss": "https://login.microsoftonline.com/"
        + str(uuid.UUID(int=random.Random("tid").getrandbits(128)))
        + "/v2.0",
        "sub": _body(43, "jwt-1-sub", _URLSAFE),
        "aud": "api://rag-assistant",
        "exp": 1793712125,
        "iat": 1793708525,
        "preferred_username": "svc-rag-eval@acme.example",
    },
    sig_bytes=256,
)
_JWT_SESSION = _jwt(
    "jwt-2",
    alg="HS256",
    claims={"user_id": 4821, "role": "admin", "exp": 1793712125},
    sig_bytes=32,
)
_JWT_CURL = _jwt(
    "jwt-3",
    alg="ES256",
    claims={"sub": "ci-canary", "scope": "chat:invoke", "exp": 1793712125},
    sig_bytes=64,
)

SECRETS: tuple[Sample, ...] = (
    # --- AWS ----------------------------------------------------------------------------------
    Sample(
        "aws-access-key-id",
        _AKIA_1,
        key="aws_access_key_id",
        note="long-term IAM key id logged by mlflow.log_params(vars(args)) from a training script",
    ),
    Sample(
        "aws-access-key-id",
        _ASIA_1,
        note="STS temporary key id pasted into a run tag from `aws sts assume-role` output",
    ),
    Sample(
        "aws-secret-key",
        _AWS_SK[0],
        key="aws_sk",
        note="40-char secret access key under a short hand-made param name",
    ),
    Sample(
        "aws-secret-key",
        _AWS_SK[1],
        key="aws_secret_access_key",
        note="boto3 kwarg name, logged with the rest of a config dict",
    ),
    Sample(
        "aws-secret-key",
        "rclone copy s3:acme-raw/rag gcs:acme-eval/rag --s3-access-key-id "
        + _AKIA_RCLONE
        + " --s3-secret-access-key "
        + _AWS_SK[2],
        key="sync_cmd",
        note="data-sync command line kept as a tag for reproducibility",
    ),
    Sample(
        "aws-secret-key",
        "mc alias set acme https://minio.acme.internal:9000 " + _AKIA_MINIO + " " + _AWS_SK[3],
        key="setup",
        note="MinIO client line: key id and secret as bare positional args, no keyword near",
    ),
    Sample(
        "aws-secret-key",
        "docker run --gpus all -e AWS_ACCESS_KEY_ID="
        + _AKIA_DOCKER
        + " -e AWS_SECRET_ACCESS_KEY="
        + _AWS_SK[4]
        + " ghcr.io/acme/trainer:1.4.0 python train.py",
        key="launch_cmd",
        note="container launch line recorded by a job runner",
    ),
    Sample(
        "aws-session-token",
        _b64(b"!\n\torigin_ec" + _raw(460, "aws-session-1")),
        key="AWS_SESSION_TOKEN",
        note="STS session token (base64 starting IQoJb3JpZ2luX2Vj) from an env dump",
    ),
    Sample(
        "s3-presigned-url",
        "https://acme-ml-datasets.s3.eu-west-1.amazonaws.com/rag/eval/golden-v12.parquet"
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
        + _AKIA_PRESIGN
        + "%2F20261103%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20261103T142205Z"
        "&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature="
        + _body(64, "s3-presign-1", _HEX),
        note="presigned S3 URL used as an MLflow dataset source: a bearer link for 7 days",
    ),
    # --- GitHub / GitLab ----------------------------------------------------------------------
    Sample(
        "github-pat",
        _github("ghp" + "_", "gh-pat-1"),
        note="classic personal access token logged as a param",
    ),
    Sample(
        "github-pat",
        "https://" + _github("ghp" + "_", "gh-pat-2") + "@github.com/acme/rag-assistant.git",
        key="mlflow.source.git.repoURL",
        note="token in a clone URL, recorded by MLflow as the run's git remote",
    ),
    Sample(
        "github-oauth-token",
        _github("gho" + "_", "gh-oauth-1"),
        note="output of `gh auth token` captured into a tag",
    ),
    Sample(
        "github-app-token",
        "https://x-access-token:"
        + _github("ghs" + "_", "gh-app-1")
        + "@github.com/acme/rag-assistant.git",
        key="mlflow.source.git.repoURL",
        note="Actions installation token in the checkout remote of a CI-launched run",
    ),
    Sample(
        "github-fine-grained-pat",
        "github" + "_pat_" + _body(22, "gh-fg-1a") + "_" + _body(59, "gh-fg-1b"),
        note="fine-grained PAT (github_pat_ + 22 + _ + 59) in a param",
    ),
    Sample(
        "gitlab-pat",
        "gl" + "pat-" + _body(20, "gl-pat-1", _URLSAFE),
        note="GitLab personal access token logged as a param",
    ),
    Sample(
        "gitlab-pat",
        "https://__token__:"
        + "gl"
        + "pat-"
        + _body(20, "gl-pat-2", _URLSAFE)
        + "@gitlab.acme.example/api/v4/projects/42/packages/pypi/simple",
        key="pip_extra_index_url",
        note="private package index URL with a token, logged with the environment",
    ),
    # --- Slack --------------------------------------------------------------------------------
    Sample(
        "slack-bot-token",
        "xox"
        + "b-"
        + _body(12, "slack-b-1", _DIGITS)
        + "-"
        + _body(13, "slack-b-2", _DIGITS)
        + "-"
        + _body(24, "slack-b-3"),
        note="bot token of the alerting bot, copied into the run config",
    ),
    Sample(
        "slack-user-token",
        "xox"
        + "p-"
        + _body(12, "slack-p-1", _DIGITS)
        + "-"
        + _body(12, "slack-p-2", _DIGITS)
        + "-"
        + _body(13, "slack-p-3", _DIGITS)
        + "-"
        + _body(32, "slack-p-4", _HEX),
        note="user token (xoxp-, four parts) in a notifier param",
    ),
    Sample(
        "slack-webhook-url",
        _slack_webhook("slack-hook-1"),
        key="alerts.webhook",
        note="incoming webhook URL for the #ml-alerts channel",
    ),
    Sample(
        "slack-webhook-url",
        json.dumps({"channel": "#rag-canary", "url": _slack_webhook("slack-hook-2")}),
        key="notify",
        note="webhook inside a JSON notifier config logged as one param",
    ),
    # --- Payments and SaaS --------------------------------------------------------------------
    Sample(
        "stripe-live-key",
        "sk" + "_live_" + "51" + _body(97, "stripe-sk-1"),
        note="current-format live secret key (sk_live_51...), in a billing-eval param",
    ),
    Sample(
        "stripe-live-key",
        "sk" + "_live_" + _body(24, "stripe-sk-2"),
        key="stripe_key",
        note="older 24-char live secret key",
    ),
    Sample(
        "stripe-restricted-key",
        "rk" + "_live_" + "51" + _body(97, "stripe-rk-1"),
        note="restricted live key given to a usage-metrics job",
    ),
    Sample(
        "twilio-api-key",
        "SK" + _body(32, "twilio-sk-1", _HEX),
        note="Twilio API key SID (SK + 32 hex) of an SMS-notification step",
    ),
    Sample(
        "twilio-auth-token",
        _body(32, "twilio-auth-1", _HEX),
        key="TWILIO_AUTH_TOKEN",
        note="32 hex: only the key says it is a credential",
    ),
    Sample(
        "sendgrid-api-key",
        "SG." + _body(22, "sendgrid-1a", _URLSAFE) + "." + _body(43, "sendgrid-1b", _URLSAFE),
        note="SendGrid key (SG.22.43) of the report-mailing step",
    ),
    Sample(
        "mailchimp-api-key",
        _body(32, "mailchimp-1", _HEX) + "-us12",
        note="Mailchimp key: 32 hex and the datacenter suffix give it away",
    ),
    Sample(
        "shopify-access-token",
        "shp" + "at_" + _body(32, "shopify-1", _HEX),
        note="Shopify admin token of a product-search RAG's catalogue loader",
    ),
    Sample(
        "discord-bot-token",
        _discord_bot("discord-1"),
        note="bot token (base64 id . timestamp . hmac) of a community-support bot",
    ),
    Sample(
        "datadog-api-key",
        _body(32, "datadog-1", _HEX),
        key="dd_api_key",
        note="32 hex, the same shape as a run id: only the key gives it away",
    ),
    Sample(
        "datadog-api-key",
        _body(32, "datadog-2", _HEX),
        key="datadog.api_key",
        note="dotted config key as logged from a Hydra/OmegaConf config",
    ),
    # --- AI and ML platforms ------------------------------------------------------------------
    Sample(
        "openai-project-key",
        _OPENAI_PROJ_1,
        note="sk-proj- key logged as a param by a LangChain config dump",
    ),
    Sample(
        "openai-project-key",
        "Rerun with `export OPENAI_API_KEY=" + _OPENAI_PROJ_2 + "` before mlflow.evaluate()",
        key="mlflow.note.content",
        note="key pasted into the run's markdown note",
    ),
    Sample(
        "openai-service-account-key",
        _OPENAI_SVCACCT,
        note="sk-svcacct- key of a CI service account",
    ),
    Sample(
        "openai-legacy-key",
        _OPENAI_LEGACY,
        key="openai_api_key",
        note="legacy sk- key (48 chars) from older runs",
    ),
    Sample(
        "anthropic-api-key",
        _anthropic("anthropic-1"),
        note="sk-ant-api03- key logged as a judge-model param",
    ),
    Sample(
        "anthropic-api-key",
        "x-api-key: " + _anthropic("anthropic-2"),
        key="request_headers",
        note="request header line captured into an item-table column by a tracing wrapper",
    ),
    Sample(
        "huggingface-token",
        _hf("hf-1"),
        note="hf_ + 34 letters, logged with the download config",
    ),
    Sample(
        "huggingface-token",
        "huggingface-cli login --token " + _hf("hf-2") + " --add-to-git-credential",
        key="setup_cmd",
        note="notebook setup cell kept as a tag",
    ),
    Sample(
        "google-api-key",
        _google_api_key("gapi-1"),
        note="AIza key of a Gemini judge",
    ),
    Sample(
        "google-api-key",
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:generateContent"
        "?key=" + _google_api_key("gapi-2"),
        key="judge_endpoint",
        note="key in the endpoint URL's query, as the REST docs show it",
    ),
    Sample(
        "google-oauth-access-token",
        "https://storage.googleapis.com/download/storage/v1/b/acme-eval/o/golden.jsonl"
        "?alt=media&access_token=ya29." + _body(150, "ya29-1", _URLSAFE),
        note="OAuth access token (ya29.) in a GCS download URL used as a dataset source",
    ),
    Sample(
        "gcp-service-account-key",
        json.dumps(_GCP_SA),
        key="gcp_credentials_json",
        note="whole service-account JSON logged as one param",
    ),
    Sample(
        "gcp-service-account-key",
        _GCP_FRAGMENT,
        note="SA JSON cut off after 420 chars by a logging wrapper: no END line survives",
    ),
    Sample(
        "databricks-token",
        _databricks("dbx-1"),
        note="personal access token (dapi + 32 hex) in a param",
    ),
    Sample(
        "databricks-token",
        "DATABRICKS_HOST=https://adb-4821093365521178.18.azuredatabricks.net DATABRICKS_TOKEN="
        + _databricks("dbx-2")
        + "-2",
        key="env",
        note="env line of a job, token with its -2 suffix",
    ),
    Sample(
        "wandb-api-key",
        _body(40, "wandb-1", _HEX),
        key="WANDB_API_KEY",
        note="40 hex, the same shape as a git SHA: only the key says it is a credential",
    ),
    Sample(
        "wandb-api-key",
        "wandb login --relogin " + _body(40, "wandb-2", _HEX),
        key="wandb_setup",
        note="login command kept as a tag by a notebook",
    ),
    Sample(
        "langsmith-api-key",
        "lsv2" + "_pt_" + _body(32, "langsmith-1", _HEX) + "_" + _body(10, "langsmith-2", _HEX),
        note="LangSmith personal token of a traced RAG chain",
    ),
    Sample(
        "npm-token",
        "npm" + "_" + _body(36, "npm-1"),
        note="npm token of a UI-evaluation job",
    ),
    Sample(
        "npm-token",
        "//registry.npmjs.org/:_authToken=" + "npm" + "_" + _body(36, "npm-2"),
        key="npmrc",
        note=".npmrc line logged with the build environment",
    ),
    Sample(
        "pypi-token",
        _pypi("pypi-1"),
        note="PyPI upload token (pypi-AgEIcHlwaS5vcmc...) used to publish the model package",
    ),
    Sample(
        "pypi-token",
        "twine upload --repository pypi -u __token__ -p " + _pypi("pypi-2") + " dist/*",
        key="publish_cmd",
        note="publish command kept as a tag",
    ),
    Sample(
        "vault-token",
        "hvs." + "CAESI" + _body(91, "vault-1", _URLSAFE),
        key="VAULT_TOKEN",
        note="HashiCorp Vault service token (hvs.CAESI...) from an env dump",
    ),
    # --- Azure --------------------------------------------------------------------------------
    Sample(
        "azure-storage-connection-string",
        "DefaultEndpointsProtocol=https;AccountName=acmemlstore;AccountKey="
        + _azure_account_key("az-conn-1")
        + ";EndpointSuffix=core.windows.net",
        key="AZURE_STORAGE_CONNECTION_STRING",
        note="storage connection string as the Azure portal shows it",
    ),
    Sample(
        "azure-storage-connection-string",
        "DefaultEndpointsProtocol=https;AccountName=acmeevaldata;AccountKey="
        + _azure_account_key("az-conn-2")
        + ";",
        key="artifact_store",
        note="connection string under a neutral key, trailing semicolon",
    ),
    Sample(
        "azure-storage-account-key",
        _azure_account_key("az-key-1"),
        key="azure_storage_key",
        note="bare 88-char account key (base64 of 64 bytes, ends ==)",
    ),
    Sample(
        "azure-sas-token",
        "?" + _SAS_COMMON + "&sig=" + _sas_sig("az-sas-1"),
        key="blob_sas",
        note="account SAS query string stored as a tag value",
    ),
    Sample(
        "azure-sas-token",
        "https://acmemlstore.blob.core.windows.net/eval/golden-v12.parquet?sp=r"
        "&st=2026-11-01T00:00:00Z&se=2026-12-01T00:00:00Z&spr=https&sv=2022-11-02&sr=b&sig="
        + _sas_sig("az-sas-2"),
        note="blob SAS URL used as an MLflow dataset source",
    ),
    Sample(
        "azure-ad-client-secret",
        _body(3, "aad-1a") + "8Q~" + _body(34, "aad-1b", _ALNUM + "_~.-"),
        key="client_secret",
        note="Entra ID app client secret (xxx8Q~...) of the service principal",
    ),
    # --- Private keys -------------------------------------------------------------------------
    Sample(
        "rsa-private-key",
        _pem("RSA PRIVATE", bytes.fromhex("308204a40201000282010100"), 1180, "rsa-1"),
        key="deploy_key",
        note="PKCS#1 RSA key pasted into a param",
    ),
    Sample(
        "openssh-private-key",
        _pem("OPENSSH PRIVATE", b"openssh-key-v1\x00", 380, "ssh-1"),
        note="ed25519 deploy key for a private dataset repo, logged as a tag",
    ),
    Sample(
        "ec-private-key",
        _pem("EC PRIVATE", bytes.fromhex("30770201010420"), 100, "ec-1"),
        note="P-256 signing key of a model-signing step",
    ),
    Sample(
        "pgp-private-key",
        _pgp_private_block("pgp-1"),
        note="armoured PGP secret key used to sign release artifacts",
    ),
    # --- Connection strings and URLs ----------------------------------------------------------
    Sample(
        "sql-connection-string-password",
        "Server=tcp:acme-sql.database.windows.net,1433;Initial Catalog=features;"
        "Persist Security Info=False;User ID=mlsvc;Password="
        + _sql_password("ado-1")
        + ";MultipleActiveResultSets=False;Encrypt=True;Connection Timeout=30;",
        key="feature_db",
        note="ADO.NET connection string as Azure SQL shows it",
    ),
    Sample(
        "sql-connection-string-password",
        "Driver={ODBC Driver 18 for SQL Server};Server=tcp:acme-sql.database.windows.net,1433;"
        "Database=labels;Uid=labeler;Pwd=" + _sql_password("odbc-1") + ";Encrypt=yes;",
        key="label_db",
        note="ODBC connection string (Pwd=) passed to pyodbc",
    ),
    Sample(
        "sql-connection-string-password",
        "jdbc:sqlserver://acme-sql.database.windows.net:1433;databaseName=features;user=mlsvc;"
        "password=" + _sql_password("jdbc-1") + ";encrypt=true",
        note="JDBC URL of a Spark feature job",
    ),
    Sample(
        "database-url-password",
        "postgresql://mlflow:"
        + quote(_sql_password("pg-1"), safe="")
        + "@mlflow-db.internal:5432/mlflow",
        key="backend_store_uri",
        note="MLflow backend store URI with the password in it",
    ),
    Sample(
        "database-url-password",
        "mysql+pymysql://rag_app:" + _url_password("mysql-1") + "@10.20.4.17:3306/rag",
        key="sqlalchemy_url",
        note="SQLAlchemy URL with a human password",
    ),
    Sample(
        "database-url-password",
        "mongodb+srv://eval-writer:"
        + _body(16, "mongo-1")
        + "@cluster0.ab1cd.mongodb.net/evals?retryWrites=true&w=majority",
        note="Atlas URI of the vector store, logged as the retriever source",
    ),
    Sample(
        "database-url-password",
        "redis://:" + _body(32, "redis-1") + "@cache.acme.internal:6379/0",
        key="cache_url",
        note="Redis URL with password only (empty user)",
    ),
    Sample(
        "url-userinfo-password",
        "https://ml-bot:"
        + _url_password("artifactory-1")
        + "@artifactory.acme.example/artifactory/api/pypi/pypi-local/simple",
        key="pip_index_url",
        note="package index URL with user:password, logged with the environment",
    ),
    Sample(
        "url-userinfo-password",
        "http://svc-proxy:" + _body(20, "proxy-1") + "@proxy.acme.internal:3128",
        key="HTTPS_PROXY",
        note="proxy URL from an env dump",
    ),
    Sample(
        "url-query-credential",
        "https://reports.acme.example/api/export?format=csv&user=svc-eval&password="
        + _url_password("query-pw-1"),
        key="report_source",
        note="export URL with ?password= used as a dataset source",
    ),
    Sample(
        "url-query-credential",
        "https://labels.acme.example/api/projects/12/export?exportType=JSON&token="
        + _body(40, "query-token-1", _HEX),
        note="annotation-tool export URL with &token= as a dataset source",
    ),
    Sample(
        "url-query-credential",
        "HTTPError: 401 Client Error: Unauthorized for url: "
        "https://api.acme.example/v2/score?model=rag&api_key=" + _body(32, "query-key-1"),
        key="error",
        note="exception text stored as a tag: the failing URL carries the key",
    ),
    # --- HTTP auth ----------------------------------------------------------------------------
    Sample(
        "jwt",
        _JWT_ID_TOKEN,
        note="RS256 id token of the eval service principal logged as a param",
    ),
    Sample(
        "jwt",
        "session=" + _JWT_SESSION + "; Path=/; HttpOnly; Secure",
        key="set_cookie",
        note="Set-Cookie header kept in an item-table column by a web-agent eval",
    ),
    Sample(
        "bearer-auth-header",
        "Authorization: Bearer " + _body(40, "bearer-1", _URLSAFE),
        note="opaque bearer token in a captured request header",
    ),
    Sample(
        "bearer-auth-header",
        'curl -s -H "Authorization: Bearer '
        + _JWT_CURL
        + '" https://rag.acme.example/v1/chat -d @q.json',
        key="repro",
        note="reproduction curl line kept as a tag",
    ),
    Sample(
        "basic-auth-header",
        "Authorization: Basic " + _b64(("svc-mlflow:" + _password("basic-1")).encode()),
        note="basic auth header of the tracking server, captured by a request logger",
    ),
    # --- Passwords and generic keys -----------------------------------------------------------
    Sample(
        "plain-password",
        _password("pw-1"),
        key="db_pwd",
        note="database password under a short param name",
    ),
    Sample(
        "plain-password",
        _password("pw-2"),
        key="password",
        note="password of a scraping source",
    ),
    Sample(
        "plain-password",
        _password("pw-3"),
        key="DB_PASSWORD",
        note="env var logged with the rest of os.environ",
    ),
    Sample(
        "plain-password",
        _body(16, "pw-4", _ALNUM + "-_"),
        key="MLFLOW_TRACKING_PASSWORD",
        note="MLflow's own basic-auth password env var",
    ),
    Sample(
        "generic-api-key",
        "retriever=hybrid reranker=rerank-v3 api_key=" + _body(32, "generic-1") + " top_k=8",
        key="pipeline",
        note="free-text pipeline description with api_key= in it",
    ),
    Sample(
        "generic-api-key",
        "endpoint: https://llm.acme.internal/v1, apikey: " + _body(40, "generic-2", _URLSAFE),
        key="llm_config",
        note="YAML-ish flow text logged as one param",
    ),
    Sample(
        "dotenv-secret-key",
        "SECRET_KEY=" + _body(50, "django-1", _DJANGO),
        key="dotenv",
        note="Django SECRET_KEY line from a .env file",
    ),
    Sample(
        "dotenv-secret-key",
        "MLFLOW_TRACKING_URI=https://mlflow.acme.internal\nFLASK_SECRET_KEY="
        + _body(64, "flask-1", _HEX)
        + "\nLOG_LEVEL=info",
        key="env_file",
        note="multi-line .env content logged as one param",
    ),
)


# ----------------------------------------------------------------------------------------------
# Look-alikes: what real runs hold and a detector must leave alone.


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()  # git object ids


def _uuid(seed: str) -> uuid.UUID:
    return uuid.UUID(int=random.Random(seed).getrandbits(128), version=4)


_RUN_ID_A = _uuid("run-a").hex
_RUN_ID_B = _uuid("run-b").hex
_RUN_ID_C = _uuid("run-c").hex
_HF_REVISION = _sha1("commit bge-large-en-v1.5")

LOOKALIKES: tuple[Sample, ...] = (
    # --- digests and ids ----------------------------------------------------------------------
    Sample(
        "sha256-digest",
        _sha256("eval/golden-v12.jsonl"),
        key="dataset.sha256",
        note="content digest of the eval set",
    ),
    Sample(
        "sha256-digest",
        "sha256:" + _sha256("snapshot rag-assistant v7"),
        key="govgate.snapshot_digest",
        note="prefixed digest as govgate and OCI write them",
    ),
    Sample(
        "sha256-digest",
        _sha256("system prompt v3")[:16],
        key="prompt_template_hash",
        note="truncated hash of a prompt template, used to group runs",
    ),
    Sample(
        "md5-checksum",
        hashlib.md5(b"train.parquet", usedforsecurity=False).hexdigest(),
        key="data_md5",
        note="file checksum (also what an S3 ETag holds)",
    ),
    Sample(
        "git-commit-sha",
        _sha1("commit rag-assistant main"),
        key="mlflow.source.git.commit",
        note="git commit MLflow records for every run",
    ),
    Sample(
        "git-commit-sha",
        _HF_REVISION,
        key="embedding_model_revision",
        note="Hugging Face model revision pinned to a commit",
    ),
    Sample(
        "mlflow-run-id",
        _RUN_ID_A,
        key="mlflow.parentRunId",
        note="parent run id tag (32 hex)",
    ),
    Sample(
        "mlflow-run-id",
        _RUN_ID_B,
        key="baseline_run_id",
        note="baseline run named in a comparison param",
    ),
    Sample(
        "uuid",
        str(_uuid("request-1")),
        key="request_id",
        note="request id in an item-table column",
    ),
    Sample(
        "mlflow-dataset-digest",
        _sha256("dataset eval_questions")[:8],
        note="MLflow dataset digest (8 hex)",
    ),
    Sample(
        "mlflow-trace-id",
        "tr-" + _uuid("trace-1").hex,
        key="trace_id",
        note="MLflow 3 trace id in an item-table column",
    ),
    Sample(
        "otel-span-id",
        _uuid("span-1").hex[:16],
        key="span_id",
        note="OpenTelemetry span id (16 hex)",
    ),
    Sample(
        "mlflow-logged-model-id",
        "m-" + _uuid("model-1").hex,
        key="mlflow.modelId",
        note="MLflow 3 logged model id",
    ),
    Sample(
        "databricks-cluster-id",
        "1103-142205-x7k2p9qd",
        key="mlflow.databricks.cluster.id",
        note="Databricks cluster id tag",
    ),
    Sample(
        "ray-submission-id",
        "raysubmit_" + _body(16, "ray-1"),
        key="ray_job_id",
        note="Ray job submission id (random base62, not a credential)",
    ),
    # --- URIs, paths, URLs --------------------------------------------------------------------
    Sample("model-uri", "models:/rag-assistant@champion", note="registered model by alias"),
    Sample("model-uri", "models:/rag-assistant/7", note="registered model by version"),
    Sample("model-uri", "runs:/" + _RUN_ID_C + "/model", note="model logged to a run"),
    Sample("prompt-uri", "prompts:/rag-system-prompt/3", note="MLflow prompt registry URI"),
    Sample(
        "s3-path",
        "s3://acme-ml-datasets/rag/eval/2026-11/test.parquet",
        note="dataset source without credentials",
    ),
    Sample("gcs-path", "gs://acme-eval/rag/golden/v12/", note="artifact location"),
    Sample(
        "abfss-path",
        "abfss://raw@acmedatalake.dfs.core.windows.net/rag/eval/golden.parquet",
        note="ADLS Gen2 path: container@account looks like user@host but holds no secret",
    ),
    Sample("dbfs-path", "dbfs:/mnt/datasets/rag/eval/v12", note="Databricks dataset source"),
    Sample(
        "https-url",
        "https://data.acme.example/exports/golden.jsonl?version=3&split=test",
        note="dataset source with an innocent query string",
    ),
    Sample(
        "https-url",
        "https://huggingface.co/datasets/rajpurkar/squad_v2/resolve/main/squad_v2/validation-00000-of-00001.parquet?download=true",
        note="HF dataset file URL",
    ),
    Sample(
        "https-url",
        "https://acme-openai.openai.azure.com/",
        key="openai_api_base",
        note="Azure OpenAI endpoint: the key names the API, the value is a public hostname",
    ),
    Sample(
        "https-url",
        "https://llm.acme.internal/v1/generate?max_tokens=256&temperature=0.2",
        key="endpoint",
        note="inference URL whose query names tokens as a count",
    ),
    Sample(
        "https-url",
        "https://adb-4821093365521178.18.azuredatabricks.net/?o=4821093365521178#job/913/run/4471",
        key="mlflow.databricks.jobRunURL",
        note="Databricks job run URL (?o= is the workspace id)",
    ),
    Sample(
        "https-url",
        "https://acmeevaldata.blob.core.windows.net/golden/v12/questions.jsonl",
        note="blob URL without a SAS, read with a managed identity",
    ),
    Sample(
        "git-remote",
        "https://github.com/acme/rag-assistant.git",
        key="mlflow.source.git.repoURL",
        note="git remote without credentials",
    ),
    Sample(
        "git-remote",
        "git@github.com:acme/rag-assistant.git",
        key="mlflow.gitRepoURL",
        note="SSH remote: user@host:path, no secret",
    ),
    Sample(
        "database-url-no-password",
        "postgresql://mlflow_iam@mlflow-db.internal:5432/mlflow?sslmode=require",
        key="backend_store_uri",
        note="user only; IAM auth supplies a short-lived token at connect time",
    ),
    Sample(
        "sql-connection-string-no-password",
        "Server=tcp:acme-sql.database.windows.net,1433;Database=features;"
        "Authentication=Active Directory Default;Encrypt=True;",
        key="feature_db",
        note="ADO string with Entra ID auth: no password in it",
    ),
    Sample(
        "aws-arn",
        "arn:aws:iam::123456789012:role/sagemaker-execution-role",
        key="role_arn",
        note="SageMaker execution role",
    ),
    Sample(
        "aws-arn",
        "arn:aws:sagemaker:eu-west-1:123456789012:training-job/rag-ft-2026-11-03-14-22-05-123",
        key="sagemaker.training_job_arn",
        note="training job ARN",
    ),
    Sample(
        "aws-arn",
        "arn:aws:kms:eu-west-1:123456789012:key/" + str(_uuid("kms-1")),
        key="kms_key_id",
        note="KMS key ARN for output encryption: names a key, holds no key material",
    ),
    # --- times, versions, images --------------------------------------------------------------
    Sample("iso-timestamp", "2026-11-03T14:22:05.123Z", key="started_at", note="run start"),
    Sample(
        "iso-timestamp",
        "2026-11-03T15:22:05+01:00",
        key="govgate.decided_at",
        note="timestamp with offset",
    ),
    Sample("epoch-millis", "1793708525123", key="start_time", note="MLflow start_time in ms"),
    Sample("semver", "1.8.0", key="app_version", note="service version"),
    Sample("semver", "2.5.1+cu121", key="torch_version", note="PyTorch version with CUDA tag"),
    Sample(
        "semver",
        "2.0.0-rc.1+build.5",
        key="release_candidate",
        note="pre-release with build metadata",
    ),
    Sample(
        "pip-requirement",
        "mlflow==3.17.2",
        key="requirements[0]",
        note="pinned requirement from the logged environment",
    ),
    Sample(
        "docker-image-ref",
        "ghcr.io/acme/rag-server:1.8.0@sha256:" + _sha256("image rag-server 1.8.0"),
        key="image",
        note="image pinned by digest",
    ),
    Sample(
        "docker-image-ref",
        "registry.acme.example:5000/ml/trainer@sha256:" + _sha256("image trainer"),
        key="trainer_image",
        note="host:port and @ in one string, still no credential",
    ),
    # --- keys that sound secret, harmless values ----------------------------------------------
    Sample("ml-param", "512", key="max_tokens", note="generation length"),
    Sample("ml-param", "256", key="max_new_tokens", note="HF generate() length"),
    Sample("ml-param", "bert-base-uncased", key="tokenizer", note="tokenizer name"),
    Sample("ml-param", "18234", key="num_tokens", note="token count of the eval set"),
    Sample("ml-param", "4096", key="token_budget", note="context budget for retrieval"),
    Sample(
        "ml-param",
        "12",
        key="password_min_length",
        note="rule of a password-policy assistant under evaluation; a length, not a password",
    ),
    Sample("ml-param", "20", key="session_length", note="turns per simulated conversation"),
    Sample("ml-param", "feature_store_prod", key="keyspace", note="Cassandra keyspace name"),
    Sample(
        "ml-param",
        "managed-identity",
        key="auth_mode",
        note="which auth mechanism, not a credential",
    ),
    Sample("ml-param", "2024-10-21", key="api_version", note="Azure OpenAI API version"),
    Sample("ml-param", "customer_id", key="primary_key", note="join key of a feature table"),
    Sample("ml-param", "<|endoftext|>", key="pad_token", note="tokenizer special token"),
    Sample(
        "ml-param",
        "OPENAI_API_KEY",
        key="api_key_env",
        note="names the env var that holds the key, never the key itself",
    ),
    Sample(
        "ml-param",
        "hf_transfer",
        key="download_backend",
        note="the hf_transfer package: hf_ prefix, not a token",
    ),
    Sample("ml-param", "ml.g5.2xlarge", key="instance_type", note="SageMaker instance type"),
    Sample("ml-param", "lr=3e-4,wd=0.01", key="optim", note="hyperparameter string"),
    Sample(
        "ml-param",
        "adamw(beta1=0.9,beta2=0.999,eps=1e-8)",
        key="optimizer",
        note="optimizer spec",
    ),
    # --- prose --------------------------------------------------------------------------------
    Sample(
        "prompt-text",
        "You are a helpful IT support assistant. Never ask the user for their password or a "
        "one-time code; send them to the self-service reset page instead.\n\nQuestion: {question}",
        key="prompt_template",
        note="system prompt mentioning passwords in prose",
    ),
    Sample(
        "prompt-text",
        "I forgot my password and the reset link expired. What should I do?",
        key="question",
        note="eval question in an item-table column",
    ),
    Sample(
        "prompt-text",
        "You can reset your password under Settings > Security > Password. Support staff will "
        "never ask you for it.",
        key="answer",
        note="model answer in an item-table column",
    ),
    Sample(
        "prompt-text",
        "Block responses that reveal API keys, passwords or access tokens.",
        key="guardrail.description",
        note="guardrail rule description",
    ),
    Sample(
        "prompt-text",
        "Answer in at most 200 tokens and cite the source document id.",
        key="instructions",
        note="instruction text counting tokens",
    ),
    Sample(
        "chat-template",
        "{{ bos_token }}{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
        "{{ m['content'] }}<|im_end|>\n{% endfor %}",
        key="tokenizer.chat_template",
        note="Jinja chat template naming special tokens",
    ),
    # --- names --------------------------------------------------------------------------------
    Sample("hyphenated-name", "rag-assistant-prod-eu-west-1", note="deployment name"),
    Sample(
        "hyphenated-name",
        "llm-judge-faithfulness-v3-gpt-4o-mini-2024-07-18",
        key="judge",
        note="judge name with a dated model",
    ),
    Sample(
        "hyphenated-name",
        "rag-eval-nightly-20261103-142205",
        key="mlflow.runName",
        note="scheduled run name with a timestamp",
    ),
    Sample("experiment-name", "/Shared/team-rag/canary-2026-11", note="Databricks experiment"),
    Sample(
        "experiment-name",
        "/Users/ana.lima@acme.example/rag-eval",
        note="personal Databricks experiment: an email in a path",
    ),
    Sample(
        "email",
        "ana.lima@acme.example",
        key="mlflow.user",
        note="run owner (personal data, not a secret)",
    ),
    Sample(
        "source-path",
        "/Workspace/Repos/ana.lima@acme.example/rag/notebooks/evaluate",
        key="mlflow.source.name",
        note="notebook path MLflow records",
    ),
    Sample("metric-name", "rate.toxicity", note="govgate metric name"),
    Sample("metric-name", "latency.latency_ms_p95", note="govgate latency metric"),
    Sample("metric-name", "usage.completion_tokens_p50", note="token-usage metric name"),
    Sample("pod-name", "canary-7f9c8d6b5-x2k4q", key="k8s.pod", note="Kubernetes pod name"),
    Sample(
        "pod-name",
        "rag-server-6d4cf56db6-9lzqp",
        key="serving_pod",
        note="replica-set hash and random suffix",
    ),
    Sample("run-name", "fluent-sun-42", key="wandb.run_name", note="W&B-style generated name"),
    Sample("run-name", "3kq9x2mz", key="wandb.run_id", note="W&B run id (8 base36 chars)"),
    Sample(
        "hf-model-id",
        "sentence-transformers/all-MiniLM-L6-v2",
        key="embedding_model",
        note="HF model id",
    ),
    Sample("hf-model-id", "meta-llama/Llama-3.1-8B-Instruct", key="base_model", note="HF id"),
    Sample("model-name", "claude-3-5-sonnet-20241022", key="judge_model", note="API model name"),
    Sample(
        "file-name",
        "model-00001-of-00004.safetensors",
        note="sharded checkpoint file",
    ),
    Sample(
        "file-name",
        "events.out.tfevents.1793708525.gpu-node-7.12345.0",
        note="TensorBoard event file",
    ),
    Sample(
        "file-name",
        "part-00000-" + str(_uuid("spark-part-1")) + "-c000.snappy.parquet",
        note="Spark output part file",
    ),
    Sample(
        "file-name",
        "models--BAAI--bge-large-en-v1.5/snapshots/" + _HF_REVISION + "/config.json",
        note="HF cache path with the revision hash",
    ),
    Sample(
        "file-name",
        "eval-results-" + _sha256("eval results 2026-11-03")[:8] + ".jsonl",
        note="artifact file named by a short digest",
    ),
)


#: What an independent hostile review of the detector found getting through (or wrongly
#: caught) after it was tuned on the corpus above. Not independent of the detector any more
#: (it was fixed to catch these), so measured and reported apart; kept so they stay fixed.
REVIEW_SECRETS: tuple[Sample, ...] = (
    Sample("hex-key-under-key-name", _body(32, "r-az", _HEX), "azure_openai_key"),
    Sample("hex-key-under-key-name", _body(32, "r-az2", _HEX), "AZURE_OPENAI_KEY"),
    Sample("hex-key-under-key-name", _body(32, "r-apim", _HEX), "Ocp-Apim-Subscription-Key"),
    Sample("hex-key-under-key-name", _body(40, "r-wb", _HEX), "wandb_key"),
    Sample("hex-key-under-key-name", _body(32, "r-dd", _HEX), "datadog_api"),
    Sample("abbreviated-password-key", _password("r-pw"), "db_pw"),
    Sample("abbreviated-password-key", _password("r-pswd"), "smtp_pswd"),
    Sample("encoded-secret-key", _b64(_raw(12, "r-b64")), "db_password_b64"),
    Sample("encoded-secret-key", _b64(_raw(9, "r-b64b")), "smtp_pass_b64"),
    Sample("encoded-secret-key", "sk" + "-proj-" + _body(24, "r-val"), "openai_api_key_value"),
    Sample("basic-auth-blob", _b64(b"admin:" + _body(10, "r-basic").encode()), "auth"),
    Sample("url-empty-user", "redis://:" + _body(20, "r-redis") + "@redis:6379/0"),
    Sample(
        "url-encoded-credentials",
        "https%3A%2F%2Fadmin%3A" + _body(10, "r-enc") + "%40db.example.com%2F",
    ),
    Sample("url-encoded-credentials", "a=1&api_key%3D" + _body(16, "r-enc2") + "&b=2"),
    Sample("authorization-header", "Authorization: Token " + _body(24, "r-tok")),
    Sample("cli-password", "curl -u admin:" + _password("r-curl") + " https://x.example"),
    Sample("cli-password", "mysql -uadmin -p" + _password("r-mysql") + " features"),
    Sample("oracle-jdbc", "jdbc:oracle:thin:admin/" + _password("r-ora") + "@db:1521/ORCL"),
    Sample("glued-prefix", "MY_" + "ghp_" + _body(36, "r-glued")),
    Sample("quoted-yaml-password", "passwd: '" + _body(8, "r-yaml", _LETTERS) + "'"),
    Sample(
        "url-credentials-slash-password",
        "https://svc:" + _body(4, "r-sl1") + "/" + _body(28, "r-sl2") + "@minio:9000/data",
    ),
)
REVIEW_LOOKALIKES: tuple[Sample, ...] = (
    Sample("hf-config-string", "hub_token=None"),
    Sample("hf-config-string", "use_auth_token=True"),
    Sample("tokenizer-config", "eos_token=EOS1"),
    Sample("metadata", "max_token: 4096"),
    Sample("metadata", "latency per token: 12ms"),
    Sample("prose", "a basic internationalization pass over the prompts"),
    Sample("sri-digest", "sha256-" + _b64(_raw(32, "r-sri"))),
    Sample("key-setting", "user_id", "primary_key"),
    Sample("key-setting", "oauth", "auth"),
    Sample("key-setting", "customer_region_v2", "partition_key"),
    Sample("api-setting", "https://api.openai.com/v1", "openai_api"),
)


def _check_distinct(samples: tuple[Sample, ...], name: str) -> None:
    seen: set[str] = set()
    for sample in samples:
        if sample.value in seen:
            raise ValueError(f"{name}: the value of a {sample.kind} sample appears twice")
        seen.add(sample.value)


_check_distinct(SECRETS, "SECRETS")
_check_distinct(LOOKALIKES, "LOOKALIKES")
_check_distinct(REVIEW_SECRETS, "REVIEW_SECRETS")
_check_distinct(REVIEW_LOOKALIKES, "REVIEW_LOOKALIKES")


def kinds() -> set[str]:
    """The distinct kinds of secret in `SECRETS`."""
    return {sample.kind for sample in SECRETS}
