"""Durations as policies write them (``5m``, ``1h``, ``3d``, ``1w``): one grammar, read strictly.

A positive whole number without a leading zero, at most five digits, and one unit: ``m``
(minutes), ``h`` (hours), ``d`` (days) or ``w`` (weeks). Nothing else is a duration: not
``90`` (no unit), ``1h30m`` (two), ``05m`` (a leading zero), ``1.5h`` or ``30s``. The pattern is
shared by the JSON Schema (``document/patterns.py``), the models and the CEL vocabulary
(``burn_rate_1h``), so a window is spelled the same wherever a policy names one.
"""

from __future__ import annotations

import re
from typing import Final

#: The one grammar of durations (JSON Schema ``pattern``; anchored).
DURATION_PATTERN: Final = r"^[1-9][0-9]{0,4}(m|h|d|w)$"
#: The same, unanchored, for names that end in a duration (``burn_rate_5m``).
DURATION_BODY: Final = r"[1-9][0-9]{0,4}[mhdw]"
UNIT_SECONDS: Final = {"m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(DURATION_PATTERN)


def seconds(text: str) -> int | None:
    """How many seconds ``text`` lasts, or None when it is not a duration of this grammar."""
    if not isinstance(text, str) or _DURATION.fullmatch(text) is None:
        return None
    return int(text[:-1]) * UNIT_SECONDS[text[-1]]
