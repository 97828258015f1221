"""The part of TFX's public API (`tfx.v1`) that a local run uses, imported from the modules that
define it, under the same names: `from tfx import v1` also imports every other component and
extension, Google Cloud AI Platform's client among them, which every run paid for, a cached
one included (17 CPU s to import against 10 this way, with bytecode compiled)."""
from types import SimpleNamespace

from tfx.components.evaluator.component import Evaluator
from tfx.components.example_gen.csv_example_gen.component import CsvExampleGen
from tfx.components.example_gen.import_example_gen.component import ImportExampleGen
from tfx.components.example_validator.component import ExampleValidator
from tfx.components.schema_gen.component import SchemaGen
from tfx.components.schema_gen.import_schema_gen.component import ImportSchemaGen
from tfx.components.statistics_gen.component import StatisticsGen
from tfx.components.trainer.component import Trainer
from tfx.components.transform.component import Transform
from tfx.dsl.components.common.resolver import Resolver
from tfx.orchestration import metadata
from tfx.orchestration.data_types import RuntimeParameter
from tfx.orchestration.local.local_dag_runner import LocalDagRunner
from tfx.orchestration.pipeline import Pipeline
from tfx.types import standard_artifacts
from tfx.types.channel import Channel

tfx = SimpleNamespace(
    components=SimpleNamespace(
        CsvExampleGen=CsvExampleGen, ImportExampleGen=ImportExampleGen, StatisticsGen=StatisticsGen,
        SchemaGen=SchemaGen, ImportSchemaGen=ImportSchemaGen, ExampleValidator=ExampleValidator,
        Transform=Transform, Trainer=Trainer, Evaluator=Evaluator,
    ),
    dsl=SimpleNamespace(Pipeline=Pipeline, Resolver=Resolver, Channel=Channel,
                        experimental=SimpleNamespace(RuntimeParameter=RuntimeParameter)),
    orchestration=SimpleNamespace(LocalDagRunner=LocalDagRunner, metadata=metadata),
    types=SimpleNamespace(standard_artifacts=standard_artifacts),
)
