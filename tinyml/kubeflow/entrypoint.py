"""The component image's entrypoint on Kubeflow Pipelines.

TFX's own executor entrypoint, after making the KFP titles of the project's
custom artifact types importable (see tinyml.kubeflow.artifact_titles).
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from absl import app
    from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_run_executor as run_executor

    from tinyml.kubeflow.artifact_titles import register_titles

    argv = register_titles(list(sys.argv if argv is None else argv))
    # The same flag parsing as `python -m ...kubeflow_v2_run_executor`.
    app.run(run_executor.main, argv=argv, flags_parser=run_executor._parse_flags)  # noqa: SLF001


if __name__ == "__main__":
    main()
