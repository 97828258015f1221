"""The rule for a source package's symbol prefix, shared by `--prefix` and the config's firmware.prefix
(a leaf module: the config validates with it without loading the firmware code)."""
from __future__ import annotations

import re

DEFAULT_PREFIX = "tinyml_"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def prefix_problem(prefix: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) when `prefix` cannot start every exported C name; None when it can."""
    if not _IDENTIFIER.fullmatch(prefix or ""):
        return ("is not a C identifier: every exported name starts with it",
                "use letters, digits and underscores, not starting with a digit, e.g. kws_")
    if prefix.startswith("__") or re.match(r"_[A-Z]", prefix):
        return ("starts like the names C reserves for the compiler ('__', '_' + capital)",
                "start with a letter, e.g. kws_")
    return None
