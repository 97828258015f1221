"""The component image's entrypoint on Kubeflow Pipelines.

TFX's own executor entrypoint, after registering the KFP titles of the
project's custom artifact types (see tinyml.kfp_types).
"""
from __future__ import annotations


def main() -> None:
    from absl import app
    from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_run_executor as run_executor

    from tinyml.kfp_types import register_kfp_titles

    register_kfp_titles()
    # The same flag parsing as `python -m ...kubeflow_v2_run_executor`.
    app.run(run_executor.main, flags_parser=run_executor._parse_flags)  # noqa: SLF001


if __name__ == "__main__":
    main()
