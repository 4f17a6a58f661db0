"""The patterns documents share (names, slugs, durations, dates), and how to say each in words.

The pydantic models use the patterns; the diagnostics say "is not a duration like 30m" rather
than quoting a regular expression at the person who wrote the file.
"""

from __future__ import annotations

from govgate.durations import DURATION_PATTERN

SLUG = r"^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$"
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
METRIC_NAME = r"^[A-Za-z0-9_.\-/ ]{1,250}$"
DURATION = DURATION_PATTERN  # 30m, 4h, 2d, 1w: govgate/durations.py
DATE_OR_DATETIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$"
)

PATTERN_WORDS = {
    SLUG: "lower-case letters, digits and . _ - (a slug, at most 64 characters)",
    IDENTIFIER: "a name of letters, digits and _ that does not start with a digit",
    METRIC_NAME: "letters, digits, spaces and _ . - /",
    DURATION: "a duration like 30m, 4h, 2d or 1w",
    DATE_OR_DATETIME: "a date (2026-12-31) or an RFC 3339 date-time (2026-12-31T18:00:00Z)",
}
