"""The part of TFX's public API (`tfx.v1`) that a local run uses, imported from the modules that
define it, under the same names: `from tfx import v1` also imports every other component and
extension, Google Cloud AI Platform's client among them, which every run paid for, a cached
one included (17 CPU s to import against 10 this way, with bytecode compiled)."""
import importlib.util
import sys
from types import SimpleNamespace


def _lazy_components_package() -> None:
    """`tfx.components` as a package whose `__init__` runs only when a name is asked of it.

    That `__init__` imports all fourteen standard components, and with them Keras Tuner, TF Serving's
    client and the InfraValidator's model server code, which a run of the seven we use never touches:
    importing a submodule (tfx.components.trainer.component) runs its parent package's `__init__` first.
    `from tfx.components import Pusher` still works: the first such name runs the real `__init__`."""
    if "tfx.components" in sys.modules:
        return
    spec = importlib.util.find_spec("tfx.components")
    package = importlib.util.module_from_spec(spec)

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        del package.__getattr__  # the real __init__ defines the names; no second run
        spec.loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = __getattr__
    sys.modules["tfx.components"] = package


_lazy_components_package()

from tfx.components.evaluator.component import Evaluator  # noqa: E402
from tfx.components.example_gen.csv_example_gen.component import CsvExampleGen  # noqa: E402
from tfx.components.example_gen.import_example_gen.component import ImportExampleGen  # noqa: E402
from tfx.components.example_validator.component import ExampleValidator  # noqa: E402
from tfx.components.schema_gen.component import SchemaGen  # noqa: E402
from tfx.components.schema_gen.import_schema_gen.component import ImportSchemaGen  # noqa: E402
from tfx.components.statistics_gen.component import StatisticsGen  # noqa: E402
from tfx.components.trainer.component import Trainer  # noqa: E402
from tfx.components.transform.component import Transform  # noqa: E402
from tfx.dsl.components.common.resolver import Resolver  # noqa: E402
from tfx.orchestration import metadata  # noqa: E402
from tfx.orchestration.data_types import RuntimeParameter  # noqa: E402
from tfx.orchestration.local.local_dag_runner import LocalDagRunner  # noqa: E402
from tfx.orchestration.pipeline import Pipeline  # noqa: E402
from tfx.types import standard_artifacts  # noqa: E402
from tfx.types.channel import Channel  # noqa: E402

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
