"""Feature definitions of the digits example, shared by data export, Transform and the model."""

NUM_PIXELS = 64
IMAGE_SIDE = 8
PIXEL_MAX = 16  # scikit-learn's digits are 4-bit grey levels
PIXEL_KEYS = tuple(f"pixel_{i}" for i in range(NUM_PIXELS))
LABEL_KEY = "label"
NUM_CLASSES = 10
# Slice feature: how much ink a digit has, in terciles of the total grey level.
INK_KEY = "ink_density"
INK_LEVELS = ("low", "medium", "high")
# The transformed feature the network consumes (and the converter quantizes).
IMAGE_KEY = "image"
