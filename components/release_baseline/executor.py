"""ReleaseBaseline executor: the latest release's model, or a NO_RELEASE marker before the first."""
from __future__ import annotations

import os

import tensorflow as tf
from absl import logging
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from tinyml.releases.store import ReleaseStore

NO_RELEASE = "NO_RELEASE"
VERSION_PROPERTY = "release_version"
SOURCE_PROPERTY = "released_model_uri"


def copy_tree(src: str, dest: str) -> int:
    """Copies every file under `src` to the same place under `dest` (gfile: gs:// or local); returns the count."""
    count = 0
    src = src.rstrip("/")
    for folder, _, files in tf.io.gfile.walk(src):
        # By string: os.path.relpath would fold gs:// into gs:/.
        rel = folder.rstrip("/")[len(src):].strip("/")
        target = os.path.join(dest, rel) if rel else dest
        tf.io.gfile.makedirs(target)
        for name in files:
            tf.io.gfile.copy(os.path.join(folder, name), os.path.join(target, name), overwrite=True)
            count += 1
    return count


class Executor(base_executor.BaseExecutor):
    def Do(self, input_dict, output_dict, exec_properties):
        out = artifact_utils.get_single_instance(output_dict["model"])
        release = ReleaseStore(exec_properties["store"], exec_properties["pipeline"]).latest()
        tf.io.gfile.makedirs(out.uri)
        if release is None:
            logging.info("ReleaseBaseline: no release of %s yet: no baseline", exec_properties["pipeline"])
            with tf.io.gfile.GFile(os.path.join(out.uri, NO_RELEASE), "w") as f:
                f.write("no release yet\n")
            out.set_int_custom_property(VERSION_PROPERTY, 0)
            return
        source = release.record["model"]["uri"]
        # A copy, not a pointer: the output's URI is the one KFP allotted.
        if not copy_tree(source, out.uri):
            raise FileNotFoundError(f"release {release.version}: its model {source} is gone")
        out.set_int_custom_property(VERSION_PROPERTY, release.version)
        out.set_string_custom_property(SOURCE_PROPERTY, source)
        logging.info("ReleaseBaseline: release %d, model %s", release.version, source)


def has_no_release(model) -> bool:
    return tf.io.gfile.exists(os.path.join(model.uri, NO_RELEASE))

