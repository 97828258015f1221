"""Kubeflow Pipelines: the API client, the component image entrypoint, artifact titles."""
