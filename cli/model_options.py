"""Options shared by the commands that take a user's .tflite model and target profiles."""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

import click

signature_option = click.option(
    "--signature", default=None, metavar="NAME",
    help="For a model converted with several signatures: build/inspect this one alone.")

profiles_option = click.option(
    "--profiles", "profiles_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="FILE",
    help="YAML file of your own target profiles (fields as in firmware/profiles.yaml), added to the bundled "
         "ones; a profile of the same name replaces the bundled one.")


def user_profiles(profiles_file: Path | None) -> dict:
    """The profiles of --profiles FILE by name, saying which bundled ones they replace."""
    if profiles_file is None:
        return {}
    from tinyml.profiles import overridden, read_profiles

    user = read_profiles(profiles_file)
    for name in overridden(user):
        click.echo(f"target profile '{name}' from {profiles_file} replaces the bundled one", err=True)
    return user


def read_tflite(model_path: Path, signature: str | None) -> bytes:
    """The model file's bytes, or with `signature` that signature cut out into a model of its own."""
    data = model_path.read_bytes()
    if signature is None:
        return data
    from tinyml.tflite.signature import select_signature

    return select_signature(data, signature, source=str(model_path))


@contextmanager
def tflite_file(model_path: Path, signature: str | None):
    """(path, bytes) of the model to use; a chosen signature is written to a temporary file."""
    data = read_tflite(model_path, signature)
    if signature is None:
        yield model_path, data
        return
    with tempfile.TemporaryDirectory(prefix="tinyml-signature-") as tmp:
        # Subprocesses (TFLM's arena probe) read the model from a file.
        path = Path(tmp) / f"{model_path.stem}.{signature}.tflite"
        path.write_bytes(data)
        yield path, data
