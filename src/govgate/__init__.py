"""govgate: a policy-as-code release gate for ML and LLM systems."""

from govgate._version import __version__

__all__ = ["__version__"]
