"""The MLflow adapter: the only code in ``evidence/`` that talks to a tracking store.

``settings`` (how to reach it, the tags; no MLflow import), ``source`` (the one client, every
call bounded and its failures translated by ``errors``), ``resolve`` (which run a reference
names), ``read`` (one run, read once), ``history`` (past runs for replay and diff) and
``write`` (runs, versions, aliases, bundles). Nothing is re-exported here: importing
``govgate.evidence`` or the engine loads none of it.
"""
