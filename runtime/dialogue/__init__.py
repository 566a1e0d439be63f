"""Dialogue over a venue's own content: content packs and intent matching."""
