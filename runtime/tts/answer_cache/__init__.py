"""Answers ready before they are asked: every fixed piece of a pack's answers synthesised once per
pack, voice and settings, kept bounded under the data folder, and played as if just synthesised."""
