"""Artifact types the custom components produce, recorded in ML Metadata."""
from tfx.types import artifact


class TFLiteModel(artifact.Artifact):
    """A full-int8 .tflite model plus what the firmware builder needs from conversion.

    Directory layout: model.tflite, model_data.c, model_data.h,
    conversion_report.json, test_vectors.npz (int8 `inputs` and the reference
    `outputs` of the tflite-micro interpreter).
    """

    TYPE_NAME = "TinymlTFLiteModel"


class Firmware(artifact.Artifact):
    """Released firmware: one sub-directory per target with ELF/BIN/HEX and manifest.json."""

    TYPE_NAME = "TinymlFirmware"


class DataBaseline(artifact.Artifact):
    """Training statistics of a span that passed the drift check (FeatureStats.pb), with its span number."""

    TYPE_NAME = "TinymlDataBaseline"


class DataGateReport(artifact.Artifact):
    """The DataGate's check of the split achieved: split_check.json (rows, shares, classes, problems).

    Custom property `split_check`: 'passed', or 'warned' when problems were let through (data.split.check: warn).
    """

    TYPE_NAME = "TinymlDataGateReport"


class ReleaseRecord(artifact.Artifact):
    """The outcome of the release gate: release.json of the new release, or why there is none."""

    TYPE_NAME = "TinymlRelease"
