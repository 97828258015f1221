"""Numbered firmware releases: the store (local or gs://), its storage backends, pulling firmware."""
