"""The safety layer: answers no content pack can remove (emergency, lost child, scam, personal data)."""
