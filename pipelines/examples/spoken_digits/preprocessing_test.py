import numpy as np
import tensorflow as tf

from pipelines.examples.spoken_digits import features, preprocessing
from tinyml.audio import tf_frontend
from tinyml.config import load_config

AUDIO = load_config(preprocessing.__file__.replace("preprocessing.py", "config.yaml")).data.audio


def test_features_are_the_ops_uint16_output_as_float_and_raw_clip_label_and_slices_pass_through():
    rng = np.random.default_rng(0)
    clips = rng.integers(-3000, 3000, (2, AUDIO.clip_samples)).astype(np.int64)
    inputs = {features.RAW_AUDIO_KEY: tf.constant(clips), features.LABEL_KEY: tf.constant([[3], [7]], tf.int64),
              features.SPEAKER_KEY: tf.constant([[b"ann"], [b"bob"]]), features.ACCENT_KEY: tf.constant([[b"x"], [b"y"]])}
    out = preprocessing.preprocessing_fn(inputs, {"audio": AUDIO.model_dump()})
    got = out[features.FEATURES_KEY].numpy()
    assert got.shape == (2, 49, AUDIO.frontend.num_channels) and got.dtype == np.float32
    for clip, feats in zip(clips, got):
        np.testing.assert_array_equal(feats, tf_frontend.features(clip, AUDIO.frontend).astype(np.float32))
    np.testing.assert_array_equal(out[features.RAW_AUDIO_KEY].numpy(), clips)
    assert out[features.LABEL_KEY].numpy().ravel().tolist() == [3, 7]
    assert out[features.ACCENT_KEY].numpy().ravel().tolist() == [b"x", b"y"]


def test_serving_inputs_without_label_or_metadata_give_features_and_clip():
    out = preprocessing.preprocessing_fn({features.RAW_AUDIO_KEY: tf.zeros([1, AUDIO.clip_samples], tf.int64)},
                                         {"audio": AUDIO.model_dump()})
    assert set(out) == {features.FEATURES_KEY, features.RAW_AUDIO_KEY}
