"""KFP-valid names for the project's custom artifact types.

KFP v2 wants a custom artifact's schema title shaped `module.Class` (one dot),
and TFX's container entrypoint imports that title to rebuild the artifact.
components/artifact_types.py names the types TinymlTFLiteModel and
TinymlFirmware (the names local ML Metadata stores already hold), which fail
that check. So the Kubeflow compile uses `tinyml.TFLiteModel` /
`tinyml.Firmware` for the duration of the compile only, and the image's
entrypoint (tinyml.kfp_entrypoint) makes those titles importable.
"""
from __future__ import annotations

import contextlib

from components.artifact_types import Firmware, TFLiteModel

KFP_TITLES = {TFLiteModel: "tinyml.TFLiteModel", Firmware: "tinyml.Firmware"}


@contextlib.contextmanager
def kfp_type_names():
    """TYPE_NAMEs valid for KFP while compiling; the originals are restored after."""
    original = {cls: cls.TYPE_NAME for cls in KFP_TITLES}
    try:
        for cls, title in KFP_TITLES.items():
            cls.TYPE_NAME = title
        yield
    finally:
        for cls, name in original.items():
            cls.TYPE_NAME = name


def register_kfp_titles() -> None:
    """Makes `tinyml.TFLiteModel` etc. resolve to the real classes (TFX imports the title)."""
    import tinyml

    for cls, title in KFP_TITLES.items():
        setattr(tinyml, title.split(".", 1)[1], cls)
