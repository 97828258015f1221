"""The runs under a runs root, one row each, newest first: what `tinyml runs` and `tinyml ui` list."""
from __future__ import annotations

import json
from pathlib import Path

from tinyml.runs.layout import RunsLayout


def run_rows(root: Path, pipeline: str | None = None, limit: int = 20) -> list[dict]:
    """One dict per run, newest first: status, blessing, firmware per target, spans, release."""
    from tinyml import node_ids
    from tinyml.artifact_properties import BLESSED, custom_property, span
    from tinyml.runs.summary import latest_run_ids, summarize_run

    layout = RunsLayout(Path(root))
    rows = []
    for name in layout.pipelines():
        if pipeline and name != pipeline:
            continue
        for run_id in latest_run_ids(layout.metadata_path(name), limit):
            s = summarize_run(layout.metadata_path(name), name, run_id, layout.run_marker(name, run_id))
            examples = s.examples()
            firmware = s.output(node_ids.FIRMWARE_BUILDER, "firmware")
            release = s.output(node_ids.RELEASER, "release")
            blessed = custom_property(s.output(node_ids.EVALUATOR, "blessing"), BLESSED)
            # The component that failed, was cut off or is running.
            where = next((c.node_id for c in s.components if c.state == "failed"), None) or next(iter(s.unfinished), None)
            # ML Metadata does not keep a component's exception; `tinyml run` wrote it in the report.
            report = layout.summary_path(name, run_id)
            error = json.loads(report.read_text()).get("error") if report.is_file() else None
            rows.append({
                "pipeline": name,
                "run_id": run_id,
                "status": s.status + (f" ({where})" if where else ""),
                "blessed": None if blessed is None else bool(blessed),
                "firmware": {
                    t: str(Path(firmware.uri) / t) for t in json.loads(custom_property(firmware, "targets") or "[]")
                } if firmware is not None else {},
                "span": span(examples),
                "release": custom_property(release, "version") if custom_property(release, "released") else None,
                "not_released": (custom_property(release, "reason")
                                 if release is not None and not custom_property(release, "released") else None),
                "error": error,
            })
    return rows
