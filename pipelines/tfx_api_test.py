"""pipelines.tfx_api names the very objects of tfx.v1, and a local run's modules import no more of TFX."""
import subprocess
import sys
from types import ModuleType, SimpleNamespace


def _pairs(ours, theirs, path=""):
    for name, value in vars(ours).items():
        if isinstance(value, SimpleNamespace):
            yield from _pairs(value, getattr(theirs, name), f"{path}{name}.")
        else:
            yield f"{path}{name}", value, getattr(theirs, name)


def test_every_name_is_tfx_v1s_own_object():
    from tfx import v1

    from pipelines.tfx_api import tfx

    pairs = list(_pairs(tfx, v1))
    assert len(pairs) == 16
    for name, ours, theirs in pairs:
        if isinstance(ours, ModuleType):  # v1's modules re-export what the library's define
            exported = [n for n in vars(theirs) if not n.startswith("_") and not isinstance(getattr(theirs, n), ModuleType)]
            assert exported, name
            for n in exported:
                assert getattr(ours, n) is getattr(theirs, n), f"{name}.{n}"
        else:
            assert ours is theirs, name


def test_a_local_run_does_not_import_all_of_tfx():
    code = "import sys, pipelines.local_runner; print(sorted(m for m in ('tfx.v1', 'google.cloud.aiplatform') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
