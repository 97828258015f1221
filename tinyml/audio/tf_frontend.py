"""The reference features: TensorFlow's audio microfrontend op with a FrontendConfig's settings."""
from __future__ import annotations

import numpy as np

from tinyml.config import FrontendConfig

# The op's registered name, as it appears in graphs that hold it.
OP_NAME = "AudioMicrofrontend"


def op_kwargs(config: FrontendConfig) -> dict:
    """The op's attributes for `config` (uint16 output, one frame per row)."""
    c = config
    return dict(
        sample_rate=c.sample_rate, window_size=c.window_size_ms, window_step=c.window_step_ms,
        num_channels=c.num_channels, upper_band_limit=c.upper_band_limit, lower_band_limit=c.lower_band_limit,
        smoothing_bits=c.smoothing_bits, even_smoothing=c.even_smoothing, odd_smoothing=c.odd_smoothing,
        min_signal_remaining=c.min_signal_remaining, enable_pcan=c.enable_pcan, pcan_strength=c.pcan_strength,
        pcan_offset=c.pcan_offset, gain_bits=c.gain_bits, enable_log=c.enable_log, scale_shift=c.scale_shift,
        left_context=c.left_context, right_context=c.right_context, frame_stride=c.frame_stride,
        out_scale=c.out_scale,
    )


def load_op():
    """The op's Python module; importing it registers the op's kernel, which any graph holding the op
    (a transform graph, a SavedModel with one inside) needs before it loads."""
    from tensorflow.lite.experimental.microfrontend.python.ops import audio_microfrontend_op

    return audio_microfrontend_op


def frames_op(samples, config: FrontendConfig):
    """The op on one int16 clip tensor [n]: uint16 [frames, num_channels], in a graph or eagerly."""
    import tensorflow as tf

    return load_op().audio_microfrontend(samples, out_type=tf.uint16, **op_kwargs(config))


def features(samples: np.ndarray, config: FrontendConfig) -> np.ndarray:
    """uint16 [frames, num_channels] for int16 mono `samples`."""
    import tensorflow as tf

    out = frames_op(tf.constant(np.asarray(samples, np.int16)), config)
    return out.numpy().reshape(-1, config.num_channels)
