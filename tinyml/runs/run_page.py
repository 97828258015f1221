"""Everything the HTML report shows of one run, gathered from the runs root: summary.json,
and the artifacts ML Metadata points to (statistics, anomalies, the split check, the
converter's report, each target's manifest). A file that is gone is named in `missing`
instead of failing the page: the report of an old, partly deleted run still renders."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tinyml import node_ids
from tinyml.errors import TinymlError
from tinyml.file_names import CONVERSION_REPORT_FILE, DRIFT_FILE
from tinyml.firmware.manifest import FirmwareManifest, read_manifest
from tinyml.runs.layout import RunsLayout



@dataclass
class DataStats:
    """TFDV's statistics of one split: examples and the values of its string features (slices)."""

    examples: int
    values: dict[str, dict[str, int]] = field(default_factory=dict)  # feature -> value -> count


@dataclass
class RunPage:
    layout: RunsLayout
    pipeline: str
    run_id: str
    summary: dict
    statistics: dict[str, DataStats] = field(default_factory=dict)  # split -> stats
    anomalies: dict[str, list[str]] = field(default_factory=dict)  # split -> anomaly lines
    drift: dict | None = None  # the DriftGate's distances per feature (drift.json), when it compared spans
    conversion: dict | None = None
    manifests: dict[str, FirmwareManifest] = field(default_factory=dict)
    artifacts: dict[str, int] = field(default_factory=dict)  # "Component.output" -> ML Metadata artifact id
    missing: list[str] = field(default_factory=list)  # what the run made and is gone, with where it was

    @property
    def split_check(self) -> dict | None:
        """The DataGate's split check, as the run's summary.json already holds it (read once, by the run report)."""
        return self.summary.get("split_check")

    @property
    def directory(self) -> Path:
        return self.layout.reports_dir(self.pipeline, self.run_id)

    def image(self, name: str) -> Path | None:
        path = self.directory / name
        return path if path.is_file() else None


def find_run(layout: RunsLayout, run_id: str, pipeline: str | None = None) -> str:
    """The pipeline whose reports hold run `run_id`; raises naming the runs root and the runs it has."""
    found = sorted(p.parent.parent.name for p in layout.summary_paths() if p.parent.name == run_id)
    if pipeline:
        found = [p for p in found if p == pipeline]
    if len(found) == 1:
        return found[0]
    if found:
        raise TinymlError(f"run {run_id} is in pipelines {', '.join(found)} under {layout.root}",
                          fix="choose one with --pipeline")
    recent = [p.parent.name for p in sorted(layout.summary_paths(), key=lambda p: p.stat().st_mtime)[-5:]]
    raise TinymlError(
        f"no run {run_id!r} with a summary under {layout.root}" + (f" (recent: {', '.join(recent)})" if recent else ""),
        fix=f"list the runs with `tinyml runs --root {layout.root}`",
    )


def gather(layout: RunsLayout, pipeline: str, run_id: str) -> RunPage:
    path = layout.summary_path(pipeline, run_id)
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise TinymlError(f"cannot read the run summary {path}: {e}",
                          fix="re-run the pipeline (`tinyml run`) to write it") from e
    page = RunPage(layout, pipeline, run_id, summary)
    outputs = _outputs(layout, pipeline, run_id, page)
    for (node, key), uri in outputs.items():
        if not Path(uri).exists():
            page.missing.append(f"{node}'s {key}: {uri}")
    _read_data(page, outputs)
    converted = outputs.get((node_ids.TFLM_CONVERTER, "tflite_model"))
    if converted and (Path(converted) / CONVERSION_REPORT_FILE).is_file():
        page.conversion = json.loads((Path(converted) / CONVERSION_REPORT_FILE).read_text())
    for target, fw in summary.get("firmware", {}).items():
        try:
            page.manifests[target] = read_manifest(Path(fw["directory"]))
        except TinymlError as e:
            page.missing.append(f"firmware of {target}: {str(e).splitlines()[0]}")
    if summary.get("metrics") and page.image("metrics.png") is None:
        page.missing.append(f"metrics plot: {page.directory / 'metrics.png'}")
    det_plot = (summary.get("kws") or {}).get("det_plot")
    if det_plot and page.image(det_plot) is None:
        page.missing.append(f"DET plot: {page.directory / det_plot}")
    return page


def _outputs(layout: RunsLayout, pipeline: str, run_id: str, page: RunPage) -> dict[tuple[str, str], str]:
    """{(component, output key): uri} of the run, from ML Metadata (empty, and noted, without it)."""
    from tinyml.runs.summary import summarize_run

    metadata = layout.metadata_path(pipeline)
    if not metadata.is_file():
        page.missing.append(f"ML Metadata store: {metadata}")
        return {}
    outputs = {}
    for c in summarize_run(metadata, pipeline, run_id).components:
        for key, artifacts in c.outputs.items():
            if artifacts:
                outputs[(c.node_id, key)] = artifacts[0].uri
                page.artifacts[f"{c.node_id}.{key}"] = artifacts[0].id
    return outputs


def _read_data(page: RunPage, outputs: dict[tuple[str, str], str]) -> None:
    from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2

    stats = outputs.get((node_ids.STATISTICS_GEN, "statistics"))
    for split_dir in sorted(Path(stats).glob("Split-*/")) if stats else []:
        if not (split_dir / "FeatureStats.pb").is_file():
            page.missing.append(f"statistics of split {split_dir.name}: {split_dir / 'FeatureStats.pb'}")
            continue
        found = statistics_pb2.DatasetFeatureStatisticsList.FromString((split_dir / "FeatureStats.pb").read_bytes())
        dataset = found.datasets[0]
        values = {
            ".".join(f.path.step): {v.value: int(v.frequency) for v in f.string_stats.top_values}
            for f in dataset.features if f.HasField("string_stats") and f.string_stats.top_values
        }
        page.statistics[split_dir.name.removeprefix("Split-")] = DataStats(int(dataset.num_examples), values)
    anomalies = outputs.get((node_ids.EXAMPLE_VALIDATOR, "anomalies"))
    for split_dir in sorted(Path(anomalies).glob("Split-*/")) if anomalies else []:
        if not (split_dir / "SchemaDiff.pb").is_file():
            continue
        found = anomalies_pb2.Anomalies.FromString((split_dir / "SchemaDiff.pb").read_bytes())
        page.anomalies[split_dir.name.removeprefix("Split-")] = [
            f"{name}: {info.short_description} ({info.description})" for name, info in sorted(found.anomaly_info.items())
        ]
    baseline = outputs.get((node_ids.DRIFT_GATE, "baseline"))
    if baseline and (Path(baseline) / DRIFT_FILE).is_file():
        page.drift = json.loads((Path(baseline) / DRIFT_FILE).read_text())
