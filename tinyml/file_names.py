"""Names of files the pipeline writes that readers in several layers open (the library's
base layer holds them, so every reader can import them)."""

MANIFEST_NAME = "manifest.json"  # one per target, beside its firmware (tinyml.firmware.manifest)
RELEASE_FILE = "release.json"  # a release's record: in the Releaser's output and in the store's version folder
SPLIT_CHECK_FILE = "split_check.json"  # the DataGate's check of the split, in its report output
CONVERSION_REPORT_FILE = "conversion_report.json"  # the TFLMConverter's report, in its TFLiteModel output
DRIFT_FILE = "drift.json"  # the DriftGate's measured distances per feature, in its DataBaseline output
