"""The module raises while it is imported: a boot error (exit 3)."""
raise RuntimeError("boom at import time")
