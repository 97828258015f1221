"""Releaser: turns a model that passed every gate into a numbered release."""
