"""KFP-valid names for the project's custom artifact types.

KFP v2 wants a custom artifact's schema title shaped `module.Class` (one dot,
short module), and TFX's container entrypoint imports that title to rebuild
the artifact. The project's types are named for the local ML Metadata stores
(e.g. TinymlTFLiteModel), which fails that check. So, for the duration of
the compile only, each such type is titled `tinyml.<ClassName>`, and the
component command carries `--artifact-type=tinyml.<ClassName>=<import path>`
so the image's entrypoint (tinyml.kubeflow.entrypoint) can make the title
importable before TFX runs the executor.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from tfx.orchestration.kubeflow.v2.compiler_utils import TITLE_TO_CLASS_PATH
from tfx.types import artifact

ARTIFACT_TYPE_FLAG = "--artifact-type="
# TFX 1.16's check (tfx/orchestration/kubeflow/v2/compiler_utils.py).
_KFP_TITLE_RE = re.compile(r"^[a-z][a-z0-9-_]{2,20}[.][A-Z][a-zA-Z0-9-_]{2,49}$")


def renamed_types(pipeline) -> dict[type, str]:
    """The pipeline's artifact types whose TYPE_NAME KFP refuses, with the title they get."""
    standard = set(TITLE_TO_CLASS_PATH.values())  # TFX's own types have built-in schemas
    types = set()
    for node in pipeline.components:
        for channel in [*node.inputs.values(), *node.outputs.values()]:
            types.add(channel.type)
    return {
        cls: f"tinyml.{cls.__name__}"
        for cls in types
        if f"{cls.__module__}.{cls.__qualname__}" not in standard and not _KFP_TITLE_RE.fullmatch(cls.TYPE_NAME)
    }


def entrypoint_flags(renamed: dict[type, str]) -> list[str]:
    return sorted(f"{ARTIFACT_TYPE_FLAG}{title}={cls.__module__}.{cls.__qualname__}" for cls, title in renamed.items())


@contextlib.contextmanager
def kfp_type_names(renamed: dict[type, str]) -> Iterator[None]:
    """KFP titles as TYPE_NAMEs while compiling; the originals are restored after."""
    original = {cls: cls.TYPE_NAME for cls in renamed}
    try:
        for cls, title in renamed.items():
            cls.TYPE_NAME = title
        yield
    finally:
        for cls, name in original.items():
            cls.TYPE_NAME = name


def register_titles(argv: list[str]) -> list[str]:
    """Makes each `--artifact-type=tinyml.X=<path>` title importable; returns the other arguments."""
    import tinyml
    from tfx.utils import import_utils

    rest = []
    for arg in argv:
        if not arg.startswith(ARTIFACT_TYPE_FLAG):
            rest.append(arg)
            continue
        title, _, path = arg[len(ARTIFACT_TYPE_FLAG):].partition("=")
        cls = import_utils.import_class_by_path(path)
        if not (isinstance(cls, type) and issubclass(cls, artifact.Artifact)) or not title.startswith("tinyml."):
            raise ValueError(f"bad {arg}: expected tinyml.<Name>=<module>.<Artifact subclass>")
        setattr(tinyml, title.split(".", 1)[1], cls)
    return rest
