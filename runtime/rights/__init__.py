"""Rights to every face and voice: the rights record each asset carries, its consent window and
scope, the clock rule that judges them offline, revocations, and the AI labels written into every
file the kiosk makes. Pure logic (time passed in) apart from the I/O edges (`files.py`,
`file_labels.py`, `c2pa_manifest.py`). See docs/rights.md."""
