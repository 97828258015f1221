"""Feature names of the spoken digits example, shared by Transform, the model and the tests."""
from tinyml.audio.wav_example import AUDIO_KEY

LABEL_KEY = "label"
NUM_CLASSES = 10
SPEAKER_KEY = "speaker"
ACCENT_KEY = "accent"
# Transform's output: the frontend op's uint16 features as float32 [frames, channels].
FEATURES_KEY = "features"
RAW_AUDIO_KEY = AUDIO_KEY
