"""Resolver strategies of the pipeline: the drift reference and the Evaluator's baseline.

LatestBlessedOtherModelStrategy: the newest blessed model that is not the candidate.

LatestReleasedModelStrategy: the model of the latest release, from the Releaser's records in ML Metadata.

Usage:
    tfx.dsl.Resolver(
        strategy_class=LatestReleasedModelStrategy,
        model=tfx.dsl.Channel(type=standard_artifacts.Model),
        release=tfx.dsl.Channel(type=ReleaseRecord),
    ).with_id("latest_released_model_resolver")
"""
from __future__ import annotations

from tfx.dsl.components.common import resolver

from tinyml.artifact_properties import custom_property, is_blessed


class LatestReleasedModelStrategy(resolver.ResolverStrategy):
    """The Model of the highest-numbered release, with its ReleaseRecord; nothing before the first release."""

    def resolve_artifacts(self, store, input_dict):
        released = [r for r in input_dict["release"] if custom_property(r, "released") == 1]
        if not released:
            return {"model": [], "release": []}
        latest = max(released, key=lambda r: custom_property(r, "version"))
        model_id = custom_property(latest, "model_artifact_id")
        models = [m for m in input_dict["model"] if m.id == model_id]
        return {"model": models, "release": [latest] if models else []}


class LatestBaselineStrategy(resolver.ResolverStrategy):
    """The newest DataBaseline, or none before the first span passed (TFX's LatestArtifactStrategy fails then)."""

    def resolve_artifacts(self, store, input_dict):
        baselines = input_dict["baseline"]
        return {"baseline": [max(baselines, key=lambda a: a.id)] if baselines else []}


class LatestBlessedOtherModelStrategy(resolver.ResolverStrategy):
    """The newest model the Evaluator blessed, other than the candidate.

    TFX's LatestBlessedModelStrategy hands back the candidate itself once a
    cached Trainer returns an already blessed model: an unchanged re-run would
    then evaluate the model against itself instead of hitting the cache.
    """

    def resolve_artifacts(self, store, input_dict):
        candidates = {m.id for m in input_dict["candidate"]}
        blessings = {
            custom_property(b, "current_model_id"): b
            for b in sorted(input_dict["model_blessing"], key=lambda b: b.id)
            if custom_property(b, "current_model_id") is not None and is_blessed(b)
        }
        models = [m for m in input_dict["model"] if m.id in blessings and m.id not in candidates]
        if not models:
            return {"model": [], "model_blessing": [], "candidate": input_dict["candidate"]}
        latest = max(models, key=lambda m: m.id)
        return {"model": [latest], "model_blessing": [blessings[latest.id]], "candidate": input_dict["candidate"]}
