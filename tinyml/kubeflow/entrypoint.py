"""The component image's entrypoint on Kubeflow Pipelines.

TFX's own executor entrypoint, after making the KFP titles of the project's
custom artifact types importable (see tinyml.kubeflow.artifact_titles) and
loading the custom TensorFlow ops a transform graph may hold.
"""
from __future__ import annotations

import sys


def load_ops() -> None:
    """Registers the audio frontend op, which every component loading an audio example's transform graph or
    model (Transform, Trainer, Evaluator, TFLMConverter) needs first; fails if it did not register."""
    from tensorflow.python.framework import op_def_registry

    from tinyml.audio.tf_frontend import OP_NAME, load_op

    load_op()
    if op_def_registry.get(OP_NAME) is None:
        raise RuntimeError(f"TensorFlow op {OP_NAME} is not registered after loading its module")


def main(argv: list[str] | None = None) -> None:
    from absl import app
    from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_run_executor as run_executor

    from tinyml.kubeflow.artifact_titles import register_titles

    load_ops()
    argv = register_titles(list(sys.argv if argv is None else argv))
    # The same flag parsing as `python -m ...kubeflow_v2_run_executor`.
    app.run(run_executor.main, argv=argv, flags_parser=run_executor._parse_flags)  # noqa: SLF001


if __name__ == "__main__":
    main()
