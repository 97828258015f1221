"""Every command's documented exit statuses: the same in --help and the README, and the real ones.

Each command runs as a user runs it (a subprocess), since the status was lost
between click and the process; submit and schedule talk to FakeKfp, a test
double of the KFP API on loopback (tinyml/kubeflow/client_testing.py).
"""
import re

import numpy as np
import pytest
from click.testing import CliRunner

from cli.convert_cmd_test import _keras_file
from cli.exit_codes import CODES
from cli.firmware_cmd_test import needs_tools, tinyml
from cli.main import cli
from tinyml.kubeflow.client_testing import FakeKfp, closed_port_url, write_package
from tinyml.paths import REPO_ROOT
from tinyml.releases.store import ReleaseStore
from tinyml.firmware.manifest_testing import firmware_folder


def _readme_codes() -> dict[str, set[int]]:
    """README's exit status table: command -> the statuses with a meaning (not '—')."""
    rows = {}
    for line in (REPO_ROOT / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            for name in re.findall(r"`([^`]+)`", cells[0]):
                rows[name.replace(" …", "")] = {code for code, cell in zip((0, 1, 2), cells[1:]) if cell != "—"}
    return rows


def _subcommands(command: str) -> list[list[str]]:
    group = cli.get_command(None, command.split()[0])
    if command == "schedule":
        return [["schedule", name] for name in group.commands]
    return [command.split()]


def test_help_and_readme_document_the_same_statuses():
    readme = _readme_codes()
    for command, codes in CODES.items():
        assert readme[command] == set(codes), command
        for args in _subcommands(command):
            out = CliRunner().invoke(cli, [*args, "--help"], catch_exceptions=False).output
            assert "Exit status:" in out, args
            for code, meaning in [*codes.items(), (130, "interrupted (Ctrl-C)")]:
                assert f"{code:>3}  {meaning}" in out, (args, code)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """An int8 model that fits everywhere, one over cortex-m3's 128 KB flash, and a float one."""
    import tensorflow as tf

    from tinyml.tflite.testing import convert_int8

    tmp = tmp_path_factory.mktemp("models")

    def dense(hidden: int):
        tf.keras.utils.set_random_seed(0)
        return tf.keras.Sequential([tf.keras.Input((64,)), tf.keras.layers.Dense(hidden, activation="relu"),
                                    tf.keras.layers.Dense(4)])

    paths = {"small": tmp / "small.tflite", "big": tmp / "big.tflite", "float": tmp / "float.tflite"}
    paths["small"].write_bytes(convert_int8(dense(8), (64,)))
    paths["big"].write_bytes(convert_int8(dense(2200), (64,)))  # 64x2200 int8 weights: ~141 KB
    paths["float"].write_bytes(tf.lite.TFLiteConverter.from_keras_model(dense(8)).convert())
    return paths


def test_inspect_exits_0_when_it_fits_1_when_not_or_not_int8_2_on_bad_input(models, tmp_path):
    fits = tinyml("inspect", models["small"], "--target", "cortex-m3")
    assert fits.returncode == 0, fits.stderr
    assert "fits" in fits.stdout and "does not fit" not in fits.stdout
    too_big = tinyml("inspect", models["big"], "--target", "cortex-m4f", "--target", "cortex-m3")
    assert too_big.returncode == 1, too_big.stderr
    assert "131072-byte flash budget" in " ".join(too_big.stdout.split())
    not_int8 = tinyml("inspect", models["float"], "--target", "cortex-m4f")
    assert not_int8.returncode == 1, not_int8.stderr
    assert "not a full-int8 model" in " ".join(not_int8.stdout.split())
    missing = tinyml("inspect", tmp_path / "missing.tflite")
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    unknown = tinyml("inspect", models["small"], "--target", "no-such-mcu")
    assert unknown.returncode == 2 and "no-such-mcu" in unknown.stderr


def test_convert_exits_1_when_not_blessed_and_2_on_bad_input(tmp_path):
    keras = _keras_file(tmp_path, 2200)  # fits cortex-m4f, not cortex-m3
    np.savez(tmp_path / "data.npz", image=np.random.default_rng(0).random((32, 64), dtype=np.float32))
    done = tinyml("convert", "--keras", keras, "--data", tmp_path / "data.npz", "--target", "cortex-m3",
                  "-o", tmp_path / "out")
    assert done.returncode == 1, done.stderr
    assert "not blessed" in done.stdout
    both = tinyml("convert", "--keras", keras, "--saved-model", tmp_path, "--data", tmp_path / "data.npz",
                  "-o", tmp_path / "out2")
    assert both.returncode == 2 and "pass exactly one of --saved-model DIR or --keras FILE" in both.stderr


def test_run_with_a_bad_config_exits_2(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("name: x\nmodel: {epochs: -3}\n")
    done = tinyml("run", "--config", config, "--root", tmp_path / "runs")
    assert done.returncode == 2, done.stderr
    assert str(config) in done.stderr and "epochs" in done.stderr


@pytest.mark.qemu
@needs_tools
def test_firmware_build_and_run_exit_0_when_verified(models, tmp_path):
    built = tinyml("firmware", "build", "--model", models["small"], "--target", "cortex-m3", "-o", tmp_path / "fw",
                   "--num-vectors", 2)
    assert built.returncode == 0, built.stderr
    np.zeros(64, np.int8).tofile(tmp_path / "in.bin")
    ran = tinyml("firmware", "run", tmp_path / "fw", "--input", tmp_path / "in.bin", "-o", tmp_path / "out.bin")
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "out.bin").stat().st_size == 4


def test_firmware_build_and_run_exit_2_on_bad_input(models, tmp_path):
    built = tinyml("firmware", "build", "--model", models["float"], "--target", "cortex-m3", "-o", tmp_path / "fw")
    assert built.returncode == 2 and "int8" in built.stderr, built.stderr
    (tmp_path / "empty").mkdir()
    (tmp_path / "in.bin").write_bytes(b"\0")
    ran = tinyml("firmware", "run", tmp_path / "empty", "--input", tmp_path / "in.bin", "-o", tmp_path / "out.bin")
    assert ran.returncode == 2 and "holds no built firmware" in ran.stderr


def test_firmware_pull_exits_0_when_pulled_and_2_when_nothing_matches(tmp_path):
    ReleaseStore(tmp_path / "releases", "p").publish({"run_id": "r1"}, {"m4": firmware_folder(tmp_path / "fw" / "m4")})
    pulled = tinyml("firmware", "pull", "--latest", "--root", tmp_path, "-o", tmp_path / "out")
    assert pulled.returncode == 0, pulled.stderr
    assert "pulled release 1 of p" in pulled.stdout
    missing = tinyml("firmware", "pull", "--release", 7, "--root", tmp_path, "-o", tmp_path / "out7")
    assert missing.returncode == 2 and not (tmp_path / "out7").exists(), missing.stderr


def test_submit_exits_0_1_when_the_waited_run_failed_and_2(tmp_path):
    write_package(tmp_path / "p.json", root="gs://tinyml-test/root")
    package = ["--package", tmp_path / "p.json"]
    with FakeKfp() as ok, FakeKfp(run_states=("FAILED",)) as failing:
        assert tinyml("submit", "--host", ok.url, *package).returncode == 0
        waited = tinyml("submit", "--host", failing.url, *package, "--wait", "--poll", 0)
        assert waited.returncode == 1 and ": FAILED" in waited.stdout
    unreachable = tinyml("submit", "--host", closed_port_url(), *package)
    assert unreachable.returncode == 2 and "cannot reach Kubeflow Pipelines" in unreachable.stderr


def test_schedule_exits_0_and_2():
    with FakeKfp() as kfp:
        assert tinyml("schedule", "list", "--host", kfp.url).returncode == 0
        assert tinyml("schedule", "delete", "no-such-id", "--host", kfp.url).returncode == 2
    bad_cron = tinyml("schedule", "run-local", "--cron", "whenever")
    assert bad_cron.returncode == 2 and "not a valid cron expression" in bad_cron.stderr
