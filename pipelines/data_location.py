"""Where ExampleGen reads a config's data: one answer for local and Kubeflow runs."""
from __future__ import annotations

from pathlib import Path

from pipelines import spans
from tinyml.config import PipelineConfig
from tinyml.errors import TinymlError


def data_location(
    config: PipelineConfig, root: str, data_root: str | None = None, on_this_machine: bool = False
) -> tuple[str, str]:
    """(input_base, input_pattern) of the config's data.

    `root` holds a bundled example under data/<example>: the runs root locally
    (exported there), the pipeline root on Kubeflow (upload its CSV there).
    `data_root` replaces the base; the pattern stays. A WAV folder is read
    where it is (WavExampleGen), locally or from a URI on a cluster. With spans the base is
    the folder above the first part holding {SPAN}; a folder is read as its
    files ('*').

    On this machine a relative data.path resolves against the config's folder
    and the data (the newest span) is looked at to tell a folder from a file.
    For a cluster the path must be one it can read (a URI, or an absolute path
    mounted in the pods) and a last part with a '.' is a file. Paths are split
    as strings, since pathlib would fold gs:// into gs:/.
    """
    if on_this_machine:
        local = config.data_path(Path(root))
        path = str(local)
        is_folder = (spans.latest_span(local)[1] if config.data.spans else local).is_dir()
    else:
        path = config.data.path or f"{root.rstrip('/')}/data/{config.data.example}"
        if not data_root and "://" not in path and not path.startswith("/"):
            raise TinymlError(
                f"data.path '{config.data.path}' is relative to this machine; the cluster cannot read it",
                fix="set data.path to a gs:// URI in the config, or pass --data-root gs://bucket/data",
            )
        is_folder = "." not in path.rstrip("/").rsplit("/", 1)[-1]
    parts = path.rstrip("/").split("/")
    span_at = next((i for i, part in enumerate(parts) if spans.SPAN in part), None)
    first = span_at if span_at is not None else len(parts) - (not is_folder)
    base, pattern = "/".join(parts[:first]), "/".join(parts[first:])
    if is_folder:
        pattern = f"{pattern}/*" if pattern else "*"
    return data_root or base, pattern
