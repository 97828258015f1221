"""Node ids of the pipeline's components and resolvers.

pipelines/pipeline.py gives every node its id from here, and the readers of
finished runs (ML Metadata, the runs root, a Kubeflow run's GCS root) find the
outputs by the same names, so the library holds them.
"""
CSV_EXAMPLE_GEN = "CsvExampleGen"
IMPORT_EXAMPLE_GEN = "ImportExampleGen"  # with data in TFRecords
WAV_EXAMPLE_GEN = "WavExampleGen"  # with a folder of WAV files
STATISTICS_GEN = "StatisticsGen"
SCHEMA_GEN = "SchemaGen"
IMPORT_SCHEMA_GEN = "ImportSchemaGen"  # with a curated schema
EXAMPLE_VALIDATOR = "ExampleValidator"
DATA_GATE = "DataGate"
DRIFT_GATE = "DriftGate"
TRANSFORM = "Transform"
TRAINER = "Trainer"
RELEASE_BASELINE = "ReleaseBaseline"
EVALUATOR = "Evaluator"
TFLM_CONVERTER = "TFLMConverter"
FIRMWARE_BUILDER = "FirmwareBuilder"
RELEASER = "Releaser"

DRIFT_REFERENCE_RESOLVER = "drift_reference_resolver"
SPAN_WINDOW_RESOLVER = "span_window_resolver"
NEWEST_SPAN_TRANSFORMED_RESOLVER = "newest_span_transformed_resolver"
LATEST_RELEASED_MODEL_RESOLVER = "latest_released_model_resolver"
LATEST_BLESSED_MODEL_RESOLVER = "latest_blessed_model_resolver"
