"""govgate: a policy-as-code release gate for ML and LLM systems."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("govgate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["__version__"]
