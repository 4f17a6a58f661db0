"""The installed version of govgate, for every layer that records it (decisions, bundles,
snapshots, reports) without importing the package root."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("govgate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"
