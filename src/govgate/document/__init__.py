"""Documents from untrusted hands: the one pipeline policies, waivers, tests and suites share.

``yaml`` (the hostile-input reader: YAML 1.2 scalars from ``scalars``, a source map in
``nodes``), ``diagnostics`` (schema and model errors as problems with a place and a hint),
``patterns`` (names, slugs, durations, dates) and ``load`` (size cap -> YAML -> schema ->
strict model). Nothing here knows what a policy is.
"""
