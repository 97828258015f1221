"""Imports point one way: the CLI -> pipelines/ -> components/ -> the library (tinyml/).

Inside the library too, each package imports only packages at its level or
below. Every module counts, tests included; the one allowance is that a test
may use the bundled examples (pipelines/examples/) as data, since an example
is user code that the pipeline references by import path.
"""
import ast
from pathlib import Path

import pytest

from tinyml.paths import REPO_ROOT

# Top to bottom. A module may import modules of its own layer or of a lower one.
LAYERS = [
    ("cli", "benchmarks", "tests"),
    ("pipelines",),
    ("components",),
    ("tinyml.ui", "tinyml.releases", "tinyml.kubeflow"),  # tinyml.ui: `tinyml ui`, over runs and releases
    ("tinyml.runs",),
    ("tinyml.converter",),
    ("tinyml.audio",),  # the audio frontend's tables, reference op, and builds of its C code
    ("tinyml.firmware", "tinyml.data"),
    ("tinyml.tflite",),
    ("tinyml",),  # the base modules: config, errors, paths, profiles, gcs ...
]
EXAMPLES = "pipelines.examples"


def layer_of(module: str) -> int | None:
    """The index in LAYERS of the most specific prefix of `module`; None for third-party modules."""
    best = None
    for rank, names in enumerate(LAYERS):
        for name in names:
            if module == name or module.startswith(name + "."):
                if best is None or len(name) > best[1]:
                    best = (rank, len(name))
    return best[0] if best else None


def project_modules() -> dict[str, Path]:
    modules = {}
    for top in {name.split(".")[0] for names in LAYERS for name in names}:
        for path in (REPO_ROOT / top).rglob("*.py"):
            modules[".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)] = path
    return modules


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from tinyml import paths` imports tinyml.paths
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def upward_imports(module: str, path: Path) -> list[str]:
    own = layer_of(module)
    is_test = path.name.endswith("_test.py") or path.name.startswith("test_")
    bad = []
    for name in sorted(imported(path)):
        rank = layer_of(name)
        if rank is None or rank >= own:
            continue
        if is_test and (name == EXAMPLES or name.startswith(EXAMPLES + ".")):
            continue
        bad.append(f"{module} imports {name} ({', '.join(LAYERS[rank])} is above {', '.join(LAYERS[own])})")
    return bad


def test_no_module_imports_a_higher_layer():
    bad = [line for module, path in sorted(project_modules().items()) for line in upward_imports(module, path)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module, source, expected", [
    ("tinyml.tflite.memory_plan", "from tinyml.firmware.fixed_point import round_half_away", 1),
    ("components.releaser.executor", "from pipelines import eval_config", 1),
    ("tinyml.runs.summary", "import cli.main", 1),
    ("tinyml.converter.conversion_test", "from pipelines.examples.digits import data", 0),
    ("tinyml.converter.conversion", "from pipelines.examples.digits import data", 1),
    ("pipelines.pipeline", "from components.data_gate.component import DataGate\nimport numpy", 0),
])
def test_the_check_finds_upward_imports(tmp_path, module, source, expected):
    path = tmp_path / (module.rsplit(".", 1)[1] + ".py")
    path.write_text(source + "\n")
    assert len(upward_imports(module, path)) == expected
