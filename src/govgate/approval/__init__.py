"""Signed approvals of a release decision (``kind: Approval``) and the trust file that says
whose signatures count, in which roles (see docs/approvals.md).

``model``: the documents; ``trust``: the trust file, read and checked; ``verify``: an approval
document's signature and signer, as the plain record the engine judges
(:class:`govgate.gate.outcome.ApprovalRecord`); ``issue``: a signed approval of a verified
bundle's decision (``govgate approve``); ``bundle``: approvals in an audit bundle, and the
records a replay passes to the engine. The engine never imports this package: it checks no
signature and reads no key.
"""
