"""Evidence: resolve MLflow runs (or snapshot files) and snapshot them, frozen and hashed.

Import from the modules: ``evidence.model`` (the snapshot and its runs), ``evidence.items``
(the per-item table), ``evidence.refs``, ``evidence.redact``, ``evidence.snapshot`` (taking a
snapshot) and ``evidence.mlflow`` (the MLflow adapter). Nothing is re-exported here, so
importing the engine, which reads snapshots, never loads the MLflow adapter.
"""
