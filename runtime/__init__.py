"""edge-avatar kiosk runtime: audio in, dialogue, speech out, a talking avatar."""

__version__ = "0.1.0"
