"""ReleaseBaseline: the latest release's model as the Evaluator's baseline on Kubeflow, where no Resolver runs."""
