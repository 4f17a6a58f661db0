"""The per-item results table: one documented format, read columnar.

A run unlocks the statistics (confidence bounds, paired comparisons, fairness) by logging one
row per evaluated item at the artifact path ``govgate/items.parquet`` (preferred: any size) or
``govgate/items.json`` (MLflow's ``log_table`` format, ``{"columns": [...], "data": [[...]]}``).
``govgate eval run`` writes it; any harness can. Column names say what a column is:

- ``item_id``: required, unique per row; shared ids pair candidate and baseline items.
- ``rate.NAME``: 0/1 (or true/false) per item, empty when not scored; ``stats.NAME`` is a rate.
- ``score.NAME``: a number per item, empty when not scored; ``stats.NAME`` is a mean.
- ``latency.NAME``: a duration per item; ``stats.NAME_p50``, ``_p90``, ``_p95``, ``_p99``.
- ``group.NAME``: a category per item, for ``fairness.by_group("NAME")``.
- ``ts``: when the item arrived (optional; a timestamp with a zone, or seconds since the Unix
  epoch; a zone-less Parquet timestamp is read as UTC). A canary is judged sequentially over
  its items in this order (confidence sequences, valid under any number of looks), and SLO
  burn rates are measured over its windows: a table without it gives those rules a gap.

Other columns are kept out of the statistics, listed as ignored, and never copied: a snapshot
stores only the columns above, re-encoded as Parquet (:meth:`ItemTable.to_parquet`), so free
text a harness logged beside them (prompts, outputs) cannot carry a secret into a snapshot or a
bundle. A table whose ids or groups look like secrets is refused. Tables are read with pyarrow
into numpy arrays, never row by row through Python objects (except the JSON form, which is meant
for small tables).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ITEMS_DIR = "govgate"
ITEMS_PARQUET = f"{ITEMS_DIR}/items.parquet"
ITEMS_JSON = f"{ITEMS_DIR}/items.json"
ID_COLUMN = "item_id"
TS_COLUMN = "ts"
#: Seconds since the epoch above this are taken to be milliseconds by mistake (year 5138).
_MAX_TS_SECONDS = 1e11
ROLE_PREFIXES = {"rate.": "rate", "score.": "score", "latency.": "latency", "group.": "group"}
TableFormat = Literal["parquet", "mlflow-table-json"]


@dataclass(frozen=True, eq=False)
class ItemTable:
    """A validated per-item table, columnar and read-only.

    ``ids`` is an Arrow string array. Numeric columns (rate, score, latency) are read-only
    float64 numpy arrays with NaN for "not scored". Group columns are dictionary-encoded:
    ``groups[name] = (codes, categories)``, int32 codes into a tuple of category strings,
    which is what per-group statistics need and costs no Python object per row.
    """

    ids: Any  # pyarrow.StringArray
    columns: Mapping[str, Any]  # numeric column name -> numpy float64 array
    groups: Mapping[str, tuple[Any, tuple[str, ...]]]  # group column -> (codes, categories)
    roles: Mapping[str, str]  # column -> role, for every used column
    ignored: tuple[str, ...]
    rows: int
    #: arrival times, seconds since the epoch (UTC), read-only float64; None: no ``ts`` column
    ts: Any = None

    def to_parquet(self) -> bytes:
        """The table as govgate stores it: id first, then used columns by name (deterministic)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrays: dict[str, Any] = {ID_COLUMN: self.ids}
        for name in sorted(self.roles):
            if name == TS_COLUMN:
                micros = np.round(self.ts * 1e6).astype(np.int64)
                arrays[name] = pa.array(micros, type=pa.timestamp("us", tz="UTC"))
            elif name in self.groups:
                codes, categories = self.groups[name]
                # items with no value are stored as null again, never as the text "(missing)"
                missing = categories.index(MISSING_GROUP) if MISSING_GROUP in categories else -1
                arrays[name] = pa.DictionaryArray.from_arrays(
                    pa.array(codes, type=pa.int32(), mask=codes == missing),
                    pa.array(categories, type=pa.string()),
                )
            else:
                arrays[name] = pa.array(self.columns[name], type=pa.float64())
        sink = pa.BufferOutputStream()
        pq.write_table(pa.table(arrays), sink, compression="zstd")
        return bytes(sink.getvalue().to_pybytes())

    def of_role(self, role: str) -> dict[str, Any]:
        """Numeric columns of one role, by the name after the prefix (``rate.tox`` -> ``tox``)."""
        return {
            name.split(".", 1)[1]: self.columns[name]
            for name, r in self.roles.items()
            if r == role and name in self.columns
        }

    def group(self, name: str) -> tuple[Any, tuple[str, ...]] | None:
        """``(codes, categories)`` of column ``group.NAME``, or None."""
        return self.groups.get(f"group.{name}")


def _has_secret(strings: Any) -> bool:
    """Whether any value of an Arrow string array looks like a secret.

    The formats in one RE2 pass; then the randomness check of
    :func:`govgate.evidence.redact.random_token` on the few values that could fail it (a long
    token, not hex, mixed case and digits: found in vectorised passes, so ``q00017``, run ids
    and UUIDs never reach Python). A random-looking value among ordinary ones stands out; when
    more than 1% of the values (and over 100) look random, they are an id scheme, not secrets.
    """
    import pyarrow.compute as pc

    from govgate.evidence.redact import SECRET_PATTERN, random_token

    if pc.any(pc.match_substring_regex(strings, SECRET_PATTERN)).as_py():
        return True
    # what the randomness check needs at the least, in vectorised passes: a long token, not
    # hex, with upper and lower case and two digits; only those values reach Python
    needs = [r"[A-Za-z0-9+/=]{24,}", r"[A-Z]", r"[a-z]", r"[0-9].*[0-9]"]
    mask = pc.invert(pc.match_substring_regex(strings, r"^[0-9A-Fa-f\-]*$"))
    for pattern in needs:
        mask = pc.and_(mask, pc.match_substring_regex(strings, pattern))
    candidates = pc.filter(strings, mask)
    if len(candidates) > max(100, len(strings) // 100):
        return False  # most values look random: that is the id scheme (KSUIDs), not a secret
    return any(random_token(text) is not None for text in candidates.to_pylist())


def _secret_named(names: list[str]) -> set[str]:
    """Column names that look like secrets: such a column is neither used nor listed."""
    from govgate.evidence.redact import value_reason

    return {name for name in names if value_reason(name) is not None}


def _numeric(name: str, role: str, column: Any) -> tuple[Any, str | None]:
    """A rate, score or latency column as a read-only float64 array, or why it cannot be."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = np.asarray(
            pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )
    except pa.ArrowException:
        return None, f"column {name!r} must be numeric"
    present = array[~np.isnan(array)]
    if not np.isfinite(present).all():
        return None, f"column {name!r} has infinite values"
    if role == "rate" and not np.isin(present, (0.0, 1.0)).all():
        return None, f"column {name!r} is a rate: values must be 0 or 1"
    if role == "latency" and (present < 0).any():
        return None, f"column {name!r} has negative durations"
    array.flags.writeable = False
    return array, None


def _labels(arrow_type: Any, *, booleans: bool) -> bool:
    """Whether a column of this Arrow type holds labels: text or whole numbers (or booleans, for
    groups), plain or dictionary-encoded. Lists, maps, structs, bytes and floats do not."""
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    return bool(
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_integer(arrow_type)
        or (booleans and pa.types.is_boolean(arrow_type))
        or pa.types.is_null(arrow_type)
    )


def _type_name(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return "lists"
    if pa.types.is_struct(arrow_type) or pa.types.is_map(arrow_type):
        return "objects"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return "bytes"
    if pa.types.is_floating(arrow_type):
        return "decimal numbers"
    return f"values of type {str(arrow_type)[:40]}"


#: The label of a group's items that have no value. A real value spelled the same is refused,
#: so that "no value" and a group of that name never merge into one.
MISSING_GROUP = "(missing)"


def _group(name: str, column: Any) -> tuple[tuple[Any, tuple[str, ...]] | None, str | None]:
    """A group column as (int32 codes, categories), or why it cannot be used."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from govgate.evidence.redact import value_reason

    if not _labels(column.type, booleans=True):
        kind = _type_name(column.type)
        return None, f"column {name!r} must hold labels (text, whole numbers, booleans), not {kind}"
    text = pc.cast(column, pa.string())
    if pc.any(pc.equal(text, MISSING_GROUP)).as_py():
        return None, (
            f"column {name!r} has the value {MISSING_GROUP!r}, which govgate uses for items "
            "with no value: rename that group"
        )
    values = pc.fill_null(text, MISSING_GROUP)
    encoded = pc.dictionary_encode(values).combine_chunks()
    categories = encoded.dictionary
    if _has_secret(categories) or any(  # distinct values only: cheap
        value_reason(category) is not None for category in categories.to_pylist()
    ):
        return None, f"column {name!r} has values that look like secrets: not copied"
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
    codes.flags.writeable = False
    return (codes, tuple(categories.to_pylist())), None


def _arrival(column: Any) -> tuple[Any, str | None]:
    """The ``ts`` column as read-only float64 seconds since the epoch, or why it cannot be."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.null_count:
        return None, f"{column.null_count} rows have no {TS_COLUMN}: every item needs its arrival"
    kind = column.type
    try:
        if pa.types.is_timestamp(kind):
            micros = pc.cast(column, pa.timestamp("us", tz=kind.tz)).cast(pa.int64())
            seconds = np.asarray(micros.to_numpy(zero_copy_only=False), dtype=np.float64) / 1e6
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            stamped = pc.cast(column, pa.timestamp("us", tz="UTC")).cast(pa.int64())
            seconds = np.asarray(stamped.to_numpy(zero_copy_only=False), dtype=np.float64) / 1e6
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
            seconds = np.asarray(
                pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
            )
        else:
            return None, (
                f"column {TS_COLUMN!r} must hold timestamps or seconds since the epoch, not "
                f"{_type_name(kind)}"
            )
    except pa.ArrowException:  # Arrow's message quotes the value: evidence, not repeated
        return None, (
            f"column {TS_COLUMN!r} cannot be read as arrival times: write timestamps with a zone "
            "(2026-12-01T10:00:00Z) or seconds since the epoch"
        )
    if not np.isfinite(seconds).all():
        return None, f"column {TS_COLUMN!r} has values that are not finite"
    if seconds.size and float(np.abs(seconds).max()) > _MAX_TS_SECONDS:
        return None, (
            f"column {TS_COLUMN!r} has values over {_MAX_TS_SECONDS:.0e}: these look like "
            "milliseconds; write seconds since the epoch or a timestamp type"
        )
    seconds.flags.writeable = False
    return seconds, None


def role_of(column: str) -> str | None:
    if column == ID_COLUMN:
        return "id"
    if column == TS_COLUMN:
        return "ts"
    for prefix, role in ROLE_PREFIXES.items():
        if column.startswith(prefix) and len(column) > len(prefix):
            return role
    return None


def _arrow_table(data: bytes, fmt: TableFormat) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if fmt == "parquet":
        return pq.read_table(pa.BufferReader(data))
    from govgate import jsonsafe

    doc = jsonsafe.loads(data, max_bytes=len(data))  # a table's size is bounded where it is read
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), list):
        raise ValueError('expected {"columns": [...], "data": [[...]]}')
    names = [str(c) for c in doc["columns"]]
    rows = doc.get("data") or []
    if any(not isinstance(r, list) or len(r) != len(names) for r in rows):
        raise ValueError("every row must have one value per column")
    return pa.table({n: pa.array([r[i] for r in rows]) for i, n in enumerate(names)})


def _used(name: str, role: str, column: Any) -> tuple[Any, str | None]:
    """A used column, parsed for its role, or why it cannot be used."""
    if role == "ts":
        return _arrival(column)
    if role == "group":
        return _group(name, column)
    return _numeric(name, role, column)


def parse_items(data: bytes, fmt: TableFormat) -> tuple[ItemTable | None, str | None]:
    """Parse and validate a table; return it, or None and the reason it cannot be used."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        table = _arrow_table(data, fmt)
    except (ValueError, TypeError, pa.ArrowException) as exc:
        return None, f"the per-item table cannot be read: {str(exc).splitlines()[0][:200]}"
    names = list(table.column_names)
    if len(set(names)) != len(names):
        return None, "the per-item table has duplicate column names"
    secret = _secret_named(names)
    if secret:
        table = table.drop_columns(sorted(secret))
        names = [name for name in names if name not in secret]
    if ID_COLUMN not in names:
        return None, f"the per-item table has no {ID_COLUMN!r} column"
    ids = table.column(ID_COLUMN)
    if not _labels(ids.type, booleans=False):
        return None, f"{ID_COLUMN} must hold text or whole numbers, not {_type_name(ids.type)}"
    if ids.null_count:
        return None, f"{ids.null_count} rows have no {ID_COLUMN}"
    ids = pc.cast(ids, pa.string())
    if _has_secret(ids):
        return None, f"{ID_COLUMN} values look like secrets: the table is not copied"
    rows = table.num_rows
    distinct = len(pc.unique(ids))  # ~2x faster than count_distinct on strings
    if distinct != rows:
        return None, f"{rows - distinct} duplicate {ID_COLUMN} values in {rows} rows"
    columns: dict[str, Any] = {}
    groups: dict[str, tuple[Any, tuple[str, ...]]] = {}
    roles: dict[str, str] = {}
    ignored: list[str] = ["[REDACTED]"] * len(secret)  # left out: the name is a secret
    arrival = None
    for name in names:
        role = role_of(name)
        if role is None:
            ignored.append(name)
            continue
        if role == "id":
            continue
        parsed, problem = _used(name, role, table.column(name))
        if problem is not None:
            return None, problem
        if role == "ts":
            arrival = parsed
        elif role == "group":
            groups[name] = parsed
        else:
            columns[name] = parsed
        roles[name] = role
    table_ = ItemTable(ids.combine_chunks(), columns, groups, roles, tuple(ignored), rows, arrival)
    return table_, None
