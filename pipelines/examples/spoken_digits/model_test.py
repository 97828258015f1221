import numpy as np
import tensorflow as tf

from pipelines.examples.spoken_digits import features, model


def test_model_maps_features_to_class_probabilities():
    m = model.build_model(49, 40)
    probs = m.predict(np.random.default_rng(0).random((3, 49, 40), dtype=np.float32) * 600, verbose=0)
    assert probs.shape == (3, features.NUM_CLASSES)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_model_is_small_enough_for_a_microcontroller():
    # int8 weights of a few tens of KB: a small part of the cortex-m4f's 512 KB flash.
    assert model.build_model(49, 40).count_params() < 40_000


def _shifted(clip: np.ndarray, shift: int) -> np.ndarray:
    index = np.arange(len(clip)) - shift
    out = clip[np.clip(index, 0, len(clip) - 1)].copy()
    out[(index < 0) | (index >= len(clip))] = clip.min()
    return out


def test_time_shift_moves_frames_by_up_to_the_limit_and_fills_with_the_quietest_value():
    clip = np.arange(1, 11, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)  # frame i holds i + 1
    shifted = model.time_shift(tf.constant(np.stack([clip] * 64)), seed=3).numpy()
    shifts = []
    for out in shifted:
        matches = [s for s in range(-model.MAX_SHIFT_FRAMES, model.MAX_SHIFT_FRAMES + 1)
                   if np.array_equal(out, _shifted(clip, s))]
        assert len(matches) == 1
        shifts.append(matches[0])
    assert len(set(shifts)) >= 8


def test_augmented_shifts_batch_i_with_seed_plus_i_the_same_every_epoch():
    clips = np.arange(4 * 10 * 3, dtype=np.float32).reshape(4, 10, 3)
    batches = tf.data.Dataset.from_tensor_slices((clips, np.arange(4))).batch(2)
    augmented = model.augmented(batches, seed=5)
    epochs = [[(x.numpy(), y.numpy()) for x, y in augmented] for _ in range(2)]
    for epoch in epochs:
        for i, (x, y) in enumerate(epoch):
            np.testing.assert_array_equal(x, model.time_shift(tf.constant(clips[2 * i:2 * i + 2]), 5 + i).numpy())
            np.testing.assert_array_equal(y, [2 * i, 2 * i + 1])
    assert not np.array_equal(epochs[0][0][0], clips[:2])
