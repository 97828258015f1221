"""Resolver strategies for training on a rolling window of spans.

ExampleGen ingests one span per run (TFX refuses a RollingRange of more than
one), so the window is assembled afterwards from ML Metadata: the newest
Examples artifact of each of the last N spans, skipping spans the drift check
refused. Transform then emits one transformed artifact per span; the
converter needs the newest span's alone, found through Transform's events.
"""
from __future__ import annotations

from ml_metadata.proto import metadata_store_pb2
from tfx.dsl.components.common import resolver

from tinyml.artifact_properties import span as span_of


class SpanWindowStrategy(resolver.ResolverStrategy):
    """The newest Examples of each of the last `num_spans` spans; with `accepted`
    (DataBaseline artifacts), only spans that passed the drift check."""

    def __init__(self, num_spans: int):
        self._num_spans = num_spans

    def resolve_artifacts(self, store, input_dict):
        accepted = input_dict.get("accepted")
        allowed = {span_of(b) for b in accepted} if accepted is not None else None
        newest: dict[int, object] = {}
        for examples in input_dict["examples"]:
            span = span_of(examples)
            if span is None or (allowed is not None and span not in allowed):
                continue
            if span not in newest or examples.id > newest[span].id:
                newest[span] = examples
        window = [newest[s] for s in sorted(newest)[-self._num_spans:]]
        result = {"examples": window}
        if accepted is not None:
            result["accepted"] = accepted
        return result


def _index(event, key: str) -> int | None:
    steps = list(event.path.steps)
    for i, step in enumerate(steps[:-1]):
        if step.HasField("key") and step.key == key and steps[i + 1].HasField("index"):
            return steps[i + 1].index
    return None


class NewestSpanTransformedStrategy(resolver.ResolverStrategy):
    """Of this run's transformed examples, the one made from the newest span's examples."""

    def resolve_artifacts(self, store, input_dict):
        transformed = {a.id: a for a in input_dict["transformed_examples"]}
        if not transformed:
            return {"transformed_examples": []}
        best = None
        for event in store.get_events_by_artifact_ids(list(transformed)):
            if event.type != metadata_store_pb2.Event.OUTPUT:
                continue
            index = _index(event, "transformed_examples")
            inputs = [
                e for e in store.get_events_by_execution_ids([event.execution_id])
                if e.type == metadata_store_pb2.Event.INPUT and _index(e, "examples") == index
            ]
            for source in store.get_artifacts_by_id([e.artifact_id for e in inputs]):
                span = span_of(source)
                candidate = (-1 if span is None else span, event.artifact_id)
                best = max(best, candidate) if best else candidate
        return {"transformed_examples": [transformed[best[1]]] if best else []}
