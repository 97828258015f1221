"""Custom properties of ML Metadata artifacts, read one way in both of their forms.

Components get TFX `Artifact`s; readers of finished runs get ML Metadata's
`Artifact` protos. TFX's getters return 0 or "" for a property that is not
set, which reads like a real span 0; here an unset property is None.
"""
from __future__ import annotations

from typing import Iterable

SPAN = "span"  # ExampleGen's span of its examples (0 when the data is not in spans)
BLESSED = "blessed"  # 1 on a blessing the Evaluator (or the converter) gave


def custom_property(artifact, key: str) -> int | float | str | bool | None:
    """The value of custom property `key` of a TFX or ML Metadata artifact; None if either is missing."""
    if artifact is None:
        return None
    proto = getattr(artifact, "mlmd_artifact", artifact)
    if key not in proto.custom_properties:
        return None
    value = proto.custom_properties[key]
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def span(artifact) -> int | None:
    return custom_property(artifact, SPAN)


def spans(artifacts: Iterable) -> list[int]:
    """The distinct spans of `artifacts`, ascending; artifacts without one are left out."""
    return sorted({s for s in map(span, artifacts) if s is not None})


def is_blessed(artifact) -> bool:
    return custom_property(artifact, BLESSED) == 1
