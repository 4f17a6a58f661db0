"""Evidence: resolve MLflow runs (or snapshot files) and snapshot them, frozen and hashed."""

from govgate.evidence.items import ItemTable, parse_items
from govgate.evidence.mlflow_source import DEFAULT_TRACKING_URI, MlflowSettings
from govgate.evidence.model import Evidence, RunEvidence, Snapshot, read_snapshot, write_snapshot
from govgate.evidence.redact import RedactionPolicy
from govgate.evidence.refs import parse_ref
from govgate.evidence.snapshot import take_snapshot

__all__ = [
    "DEFAULT_TRACKING_URI",
    "Evidence",
    "ItemTable",
    "MlflowSettings",
    "RedactionPolicy",
    "RunEvidence",
    "Snapshot",
    "parse_items",
    "parse_ref",
    "read_snapshot",
    "take_snapshot",
    "write_snapshot",
]
