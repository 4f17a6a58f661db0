from __future__ import annotations

import pytest

from govgate.evidence.redact import REDACTED, filter_values, scrub, secret_reason

SECRETS = {
    "openai": "sk-proj-abcdefghijklmnopqrstuvwxyz0123",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "github": "ghp_" + "a1B2" * 9,
    "slack": "xoxb-123456789012-abcdefghij",
    "google": "AIza" + "A" * 35,
    "hf": "hf_" + "x" * 34,
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0",
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIE...",
    "url": "postgresql://admin:hunter2@db.internal:5432/prod",
    "bearer": "Bearer abcdefghijklmnop1234",
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_secret_values_are_found_under_any_key(name: str) -> None:
    assert secret_reason("harmless_name", SECRETS[name]) is not None


@pytest.mark.parametrize(
    ("key", "value", "secret"),
    [
        ("openai_api_key", "whatever-it-is", True),
        ("DB_PASSWORD", "x", True),
        ("auth_header", "abc", True),
        ("max_tokens", "512", False),  # a number under a secret-looking key is kept
        ("token_budget", "1e6", False),
        ("use_session", "true", False),
        ("model_name", "gpt-x", False),
        ("temperature", "0.2", False),
    ],
)
def test_keys_that_name_secrets(key: str, value: str, secret: bool) -> None:
    assert (secret_reason(key, value) is not None) is secret


def test_filter_keeps_allow_listed_keys_and_records_why() -> None:
    kept, redactions, dropped = filter_values(
        {
            "openai_api_key": SECRETS["openai"],
            "max_tokens": "512",
            "mlflow.user": "alice",
            "govgate.stage": "canary",
            "prompt": f"use {SECRETS['openai']} here",
        },
        ("govgate.*", "max_tokens", "openai_api_key", "prompt"),
    )
    assert kept == {
        "govgate.stage": "canary",
        "max_tokens": "512",
        "openai_api_key": REDACTED,
        "prompt": REDACTED,
    }
    assert [k for k, _ in redactions] == ["openai_api_key", "prompt"]
    assert all("sk-" not in reason for _, reason in redactions)
    assert dropped == ["mlflow.user"]


def test_scrub_cuts_credentials_out_of_free_text() -> None:
    text, reason = scrub("s3://bucket/x?sig=1 and https://bob:pw@host/path")
    assert "bob" not in text
    assert "pw@" not in text
    assert text.endswith(f"https://{REDACTED}@host/path")
    assert reason == "value looks like a url-credentials"
    assert scrub("plain text")[1] is None
