"""The operator set the on-device runtime implements (firmware/supported_ops.txt).

One list, read by the converter (to refuse models early) and the firmware
builder (to generate code), so the two can never disagree.
"""
from functools import lru_cache

from tinyml import paths


@lru_cache(maxsize=None)
def supported_ops() -> frozenset[str]:
    lines = paths.SUPPORTED_OPS_FILE.read_text().splitlines()
    return frozenset(l.strip() for l in lines if l.strip() and not l.lstrip().startswith("#"))
