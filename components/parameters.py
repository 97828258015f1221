"""Exec properties a runner may make per-run settings (tfx RuntimeParameters)."""
from __future__ import annotations

import json
from collections.abc import Sequence

from tfx.orchestration.data_types import RuntimeParameter


def json_list(values: Sequence[str] | RuntimeParameter) -> str | RuntimeParameter:
    """A list as its JSON exec property; a RuntimeParameter (a JSON list given per run) as it is."""
    return values if isinstance(values, RuntimeParameter) else json.dumps(list(values))
