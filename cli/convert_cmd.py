"""`tinyml convert` and `tinyml inspect`: the converter component's library, outside the pipeline."""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import click

from cli.exit_codes import epilog
from cli.model_options import profiles_option, signature_option, tflite_file, user_profiles
from tinyml.errors import TinymlError


@contextmanager
def _status(first: str):
    """A rich spinner on stderr whose text follows the current step."""
    from rich.console import Console

    with Console(stderr=True).status(first) as status:
        yield lambda step: status.update(f"{step}...")


def _load_npz(path: Path) -> dict:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError) as e:
        raise TinymlError(f"cannot read {path} as a .npz archive: {e}",
                          fix="save the data with numpy.savez(path, <input name>=x, label=y)") from e


def _column(data: dict, key: str, path: Path, what: str):
    if key not in data:
        raise TinymlError(f"{path} has no array '{key}' ({what}); it has: {', '.join(sorted(data)) or 'nothing'}",
                          fix=f"name the array '{key}' in numpy.savez, or pass the option naming it")
    return data[key]


def _targets(values: tuple[str, ...], profiles_file: Path | None) -> list:
    """The chosen profiles (default: all), bundled or from --profiles; unknown names fail listing the known ones."""
    from tinyml.profiles import get_profile, target_profiles

    user = user_profiles(profiles_file)
    return [get_profile(name, user) for name in (list(values) or sorted(target_profiles(user)))]


def _arena_line(plan: dict) -> str:
    # In-place ops may put the arena below the classic bound (every live tensor apart): say so.
    saving = plan.get("in_place_saving_bytes", 0)
    in_place = f"; in place (outputs over consumed inputs) saves {saving} B" if saving else ""
    return f"offline plan {plan['arena_bytes']} B, classic lower bound {plan['lower_bound_bytes']} B{in_place}"


def _print_targets(console, targets: dict) -> None:
    from rich.table import Table

    table = Table(title="targets")
    for col in ("target", "flash (B)", "RAM (B)", "verdict"):
        table.add_column(col)
    for name, v in targets.items():
        table.add_row(name, f"{v['flash_bytes']} / {v['flash_budget']}", f"{v['ram_bytes']} / {v['ram_budget']}",
                      "[green]fits[/]" if v["fits"] else "[red]does not fit[/]")
    console.print(table)
    for v in targets.values():
        for message in v["messages"]:
            console.print(f"  [red]-[/] {message}")


@click.command(epilog=epilog("convert"))
@click.option("--saved-model", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="SavedModel directory (e.g. the Trainer's Format-Serving).")
@click.option("--signature", default="serving_transformed", show_default=True,
              help="SavedModel signature to convert (one float input, one output).")
@click.option("--keras", "keras_file", type=click.Path(exists=True, path_type=Path),
              help="Keras model file (.h5/.keras) instead of --saved-model.")
@click.option("--data", "data_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Representative data: .npz with the model input under --input-key.")
@click.option("--eval-data", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=".npz to evaluate float vs int8 on (input, --label, --slice arrays). Default: --data.")
@click.option("--input-key", help="Array holding the model input. Default: the model's input name.")
@click.option("--label", default="label", show_default=True,
              help="Array of int class labels; without it only TFLM agreement is checked, not accuracy.")
@click.option("--slice", "slices", multiple=True, help="Array to slice the evaluation by (repeatable).")
@click.option("--target", "targets", multiple=True, help="Target profile to check (repeatable). Default: all.")
@profiles_option
@click.option("--representative-examples", type=click.IntRange(1, 100_000), help="Default: ConverterConfig's.")
@click.option("--max-accuracy-decrease", type=click.FloatRange(0, 1),
              help="How far accuracy may fall from float to int8, a fraction (0.01 = 1 point).")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (model.tflite, model_data.c/.h, conversion_report.json, test_vectors.npz).")
def convert(saved_model, signature, keras_file, data_path, eval_data, input_key, label, slices, targets,
            profiles_file, representative_examples, max_accuracy_decrease, out_dir):
    """Convert a SavedModel/Keras model to a verified full-int8 .tflite for microcontrollers."""
    import numpy as np
    from rich.console import Console

    from tinyml.config import ConverterConfig
    from tinyml.converter import float_model
    from tinyml.converter.conversion import EvalData
    from tinyml.converter.conversion import convert as run_conversion

    if (saved_model is None) == (keras_file is None):
        raise click.UsageError("pass exactly one of --saved-model DIR or --keras FILE")
    overrides = {"representative_examples": representative_examples, "max_accuracy_decrease": max_accuracy_decrease}
    config = ConverterConfig(**{k: v for k, v in overrides.items() if v is not None})
    target_profiles = _targets(targets, profiles_file)
    with _status("loading the float model...") as step:
        net = (float_model.from_saved_model(saved_model, signature) if saved_model
               else float_model.from_keras(keras_file))
        key = input_key or net.input_name
        data = _load_npz(data_path)
        rep_all = _column(data, key, data_path, "the model input")
        # A fixed seed: the same examples calibrate the model on every run.
        rows = np.sort(np.random.default_rng(0).permutation(len(rep_all))[:config.representative_examples])
        eval_path = eval_data or data_path
        evals = _load_npz(eval_path) if eval_data else data
        eval_set = EvalData(
            inputs=_column(evals, key, eval_path, "the model input").astype(np.float32),
            labels=evals[label].reshape(-1).astype(np.int64) if label in evals else None,
            slices={s: _column(evals, s, eval_path, "a --slice feature").reshape(-1) for s in slices},
            source=str(eval_path))
        report = run_conversion(net, rep_all[rows], str(data_path), eval_set, config, target_profiles, out_dir,
                                progress=step)
    console = Console()
    if report["metrics"]:
        f, q = report["metrics"]["float"]["overall"], report["metrics"]["int8"]["overall"]
        console.print(f"accuracy on {q['count']} examples: float {100 * f['accuracy']:.2f}%, "
                      f"int8 {100 * q['accuracy']:.2f}% (down {100 * report['metrics']['accuracy_decrease']['overall']:.2f} points)")
    else:
        console.print(f"no '{label}' array in {eval_path}: accuracy not evaluated")
    check = report["tflm_check"]
    console.print(f"TFLM vs TFLite on {check['examples']} examples: {'identical' if check['equal'] else 'DIFFERENT'}")
    plan = report["memory_plan"]
    console.print(f"model {report['model_bytes']} B; arena: {_arena_line(plan)}, "
                  f"TFLM needs {plan['tflm_arena']['smallest_bytes']} B")
    _print_targets(console, report["targets"])
    if report["blessed"]:
        console.print(f"[green]blessed[/] for {', '.join(report['blessed_targets'])}; outputs in {out_dir}")
    else:
        console.print("[red]not blessed[/]:\n  " + "\n  ".join(report["reasons"]))
        raise SystemExit(1)


def _profile_ops(tflite: bytes, model, profile, source: str) -> list[dict]:
    import tempfile

    from tinyml.firmware.build import build_model
    from tinyml.firmware.op_profile import PROFILE_VECTORS, profile_ops
    from tinyml.firmware.target_build import reference_vectors

    with tempfile.TemporaryDirectory(prefix="tinyml-profile-") as tmp:
        built = build_model(tflite, profile, Path(tmp), source=source)
        vectors = reference_vectors(tflite, PROFILE_VECTORS)
        n = len(vectors.inputs)
        rows = profile_ops(model, built.objects, vectors.inputs.reshape(n, -1), vectors.outputs.reshape(n, -1),
                           Path(tmp) / "profile")
    return [row.as_dict() for row in rows]


@click.command(epilog=epilog("inspect"))
@click.argument("model_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", "targets", multiple=True, help="Target profile to check (repeatable). Default: all.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of tables.")
@click.option("--profile", "op_profile", is_flag=True,
              help="Build the firmware and measure instructions per op in QEMU on the emulated targets chosen "
                   "with --target (default cortex-m4f).")
@signature_option
@profiles_option
def inspect(model_path, targets, as_json, op_profile, signature, profiles_file):
    """Show a .tflite model's ops, sizes, memory plan and budget verdict per target."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from tinyml.converter.report import describe_model
    from tinyml.firmware.op_profile import format_table
    from tinyml.tflite.model import read_model

    target_profiles = _targets(targets, profiles_file)
    with tflite_file(model_path, signature) as (path, tflite):
        model = read_model(tflite, source=str(model_path))
        with _status("probing TFLM's smallest arena..."):
            report = describe_model(tflite, model, path, target_profiles)
        if op_profile:
            measured = [p for p in (target_profiles if targets else _targets(("cortex-m4f",), profiles_file))
                        if p.emulated]
            if not measured:
                raise TinymlError("--profile measures in QEMU, but none of the chosen targets is emulated",
                                  fix="add --target with an emulated target, e.g. --target cortex-m4f")
            with _status("building and profiling the firmware in QEMU..."):
                report["op_profile"] = {p.name: _profile_ops(tflite, model, p, str(model_path)) for p in measured}
    console = Console()
    if as_json:
        console.print_json(json.dumps(report))
    else:
        chosen = f", signature '{signature}'" if signature else ""
        ops = Table(title=f"{model_path.name}{chosen}: {len(tflite)} bytes, {len(model.operators)} ops")
        for col in ("#", "op", "output", "shape", "dtype"):
            ops.add_column(col)
        for op in model.operators:
            t = model.tensors[op.outputs[0]] if op.outputs else None
            ops.add_row(str(op.index), op.opcode, t.name if t else "", str(list(t.shape)) if t else "",
                        t.dtype if t else "")
        console.print(ops)
        plan, tflm = report["memory_plan"], report["memory_plan"]["tflm_arena"]
        console.print(f"arena: {_arena_line(plan)}, "
                      f"TFLM needs {tflm['smallest_bytes'] if tflm['smallest_bytes'] else tflm.get('error')} B")
        for problem in report["int8_problems"]:
            console.print(f"[red]not full int8:[/] {problem}")
        for op in report["unsupported_ops"]:
            console.print(f"[red]not on device:[/] {escape(op)}")
        _print_targets(console, report["targets"])
        for name, rows in report.get("op_profile", {}).items():
            console.print(f"per-op profile on {name} (instructions per invoke, QEMU):", highlight=False)
            console.print("\n".join(format_table(rows)), highlight=False, markup=False)
    if not all(v["fits"] for v in report["targets"].values()):
        raise SystemExit(1)
