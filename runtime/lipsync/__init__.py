"""Lip sync from audio alone: log-mel features and the int8 audio→viseme model.

Used whenever the synthesiser gives no phoneme timing (espeak-ng fallback,
recorded announcements, clips pushed by admins)."""
