"""Handwritten digits (scikit-learn bundled data): 8x8 images, 10 classes."""
