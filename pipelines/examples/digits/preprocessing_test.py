import numpy as np
import tensorflow as tf

from pipelines.examples.digits import features, preprocessing


def test_scales_pixels_into_one_image_and_passes_label_and_slice_through():
    batch = 3
    inputs = {k: tf.constant(np.full((batch, 1), i % 17), tf.int64) for i, k in enumerate(features.PIXEL_KEYS)}
    inputs[features.LABEL_KEY] = tf.constant([[1], [2], [3]], tf.int64)
    inputs[features.INK_KEY] = tf.constant([[b"low"], [b"high"], [b"medium"]])
    out = preprocessing.preprocessing_fn(inputs)
    image = out[features.IMAGE_KEY].numpy()
    assert image.shape == (batch, 64)
    np.testing.assert_allclose(image[0], [(i % 17) / 16.0 for i in range(64)])
    assert image.min() >= 0 and image.max() <= 1
    assert out[features.LABEL_KEY].numpy().ravel().tolist() == [1, 2, 3]
    assert out[features.INK_KEY].numpy().ravel().tolist() == [b"low", b"high", b"medium"]


def test_serving_inputs_without_label_give_only_the_image():
    inputs = {k: tf.zeros([2], tf.int64) for k in features.PIXEL_KEYS}
    out = preprocessing.preprocessing_fn(inputs)
    assert set(out) == {features.IMAGE_KEY}
    assert out[features.IMAGE_KEY].shape == (2, 64)
