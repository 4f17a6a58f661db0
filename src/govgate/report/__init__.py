"""Reports: one pure renderer per format, ``render(decision) -> str``."""
