import shutil

from tinyml.firmware import codegen, fixture_model, host


def test_runtime_objects_are_compiled_once_per_content(tmp_path, monkeypatch):
    fixture_model.skip_without_tools()
    runtime = tmp_path / "runtime"
    shutil.copytree(codegen.RUNTIME_DIR, runtime)
    monkeypatch.setattr(host, "RUNTIME_DIR", runtime)
    sources = [runtime / "src" / "fixedpoint.c", runtime / "src" / "kernels" / "add.c"]
    flags = [*host.CFLAGS, f"-I{runtime / 'include'}"]

    first = host._runtime_objects("gcc", flags, sources)
    assert [p.is_file() for p in first] == [True, True]
    stamps = [p.stat().st_mtime_ns for p in first]
    assert host._runtime_objects("gcc", flags, sources) == first
    assert [p.stat().st_mtime_ns for p in first] == stamps
    # Other flags, or any runtime file changed (a header too), compile afresh.
    assert host._runtime_objects("gcc", [*flags, "-DTML_X=1"], sources)[0].parent != first[0].parent
    header = runtime / "include" / "tml_fixedpoint.h"
    header.write_text(header.read_text() + "\n")
    again = host._runtime_objects("gcc", flags, sources)
    assert again[0].parent != first[0].parent and all(p.is_file() for p in again)
