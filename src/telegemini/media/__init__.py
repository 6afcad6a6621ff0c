"""Audio and image codecs (PyAV, Pillow), run off the event loop."""
