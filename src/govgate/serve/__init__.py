"""``govgate serve``: the release gate over HTTP, for canary controllers (Argo Rollouts' web
metric provider, Flagger's webhooks) that poll a judge: promote, keep waiting, or roll back.

One layer between the command line and the use cases: a request is checked (token, sizes, the
allow list) and becomes one :func:`~govgate.usecases.check.run_check` with the server's own
policies, and its decision goes back as JSON. ``settings`` (no web framework), ``requests``
(what a request may ask), ``errors`` (govgate's errors as HTTP statuses, in one table),
``cache`` (snapshots reused while the runs are unchanged), ``judge`` (one request, one
decision), ``metrics`` (Prometheus), ``app`` (the routes, on starlette) and ``server``
(uvicorn). starlette, uvicorn and prometheus_client are imported only when a server starts.
"""
