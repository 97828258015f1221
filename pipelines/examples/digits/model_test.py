import numpy as np
import tf_keras as keras

from pipelines.examples.digits import features, model


def test_model_maps_images_to_class_probabilities():
    m = model.build_model()
    probs = m.predict(np.random.default_rng(0).random((4, features.NUM_PIXELS), dtype=np.float32), verbose=0)
    assert probs.shape == (4, features.NUM_CLASSES)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_model_is_small_enough_for_a_microcontroller():
    # int8 weights: about one byte per parameter; the digits example targets ~8 KB.
    assert 4_000 < model.build_model().count_params() < 12_000


def test_model_learns_digits():
    from pipelines.examples.digits import data

    # Seeded as the Trainer seeds it: an unseeded run can land anywhere in a
    # few points' range and make the threshold flaky.
    keras.utils.set_random_seed(7)
    pixels, labels = data.load()
    x = (pixels / features.PIXEL_MAX).astype(np.float32)
    m = model.build_model(learning_rate=0.003)
    m.fit(x[:1400], labels[:1400], epochs=15, batch_size=32, verbose=0)
    _, accuracy = m.evaluate(x[1400:], labels[1400:], verbose=0)
    assert accuracy > 0.85
