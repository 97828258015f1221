"""Transform of the spoken digits example: int16 clips -> the audio frontend op's features.

The features are the op's uint16 output cast to float32, [frames, channels],
with no other scaling: the int8 model's input quantization maps them, and the
device's frontend emits the same uint16 values. The raw clip, the label and
the slice features pass through: the converter evaluates the int8 model per
slice and writes the raw clips beside its outputs (audio_vectors.npz).
"""
import tensorflow as tf

from pipelines.examples.spoken_digits import features
from tinyml.audio.tf_frontend import frames_op
from tinyml.config import AudioConfig


def clip_features(clips: tf.Tensor, audio: AudioConfig) -> tf.Tensor:
    """float32 [batch, frames, channels] for int64 clips [batch, clip_samples]."""
    f = audio.frontend
    return tf.map_fn(
        lambda clip: tf.cast(frames_op(tf.cast(clip, tf.int16), f), tf.float32),
        clips,
        fn_output_signature=tf.TensorSpec([audio.frames, f.num_channels], tf.float32),
    )


def preprocessing_fn(inputs, custom_config):
    audio = AudioConfig(**custom_config["audio"])
    clips = tf.reshape(inputs[features.RAW_AUDIO_KEY], [-1, audio.clip_samples])
    outputs = {features.FEATURES_KEY: clip_features(clips, audio), features.RAW_AUDIO_KEY: clips}
    for key in (features.LABEL_KEY, features.SPEAKER_KEY, features.ACCENT_KEY):
        if key in inputs:
            outputs[key] = tf.reshape(inputs[key], [-1, 1])
    return outputs
