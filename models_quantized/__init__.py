"""Models and voices the kiosk may load: the manifest (and, later, int8 models and their recipes)."""

from pathlib import Path

MANIFEST = Path(__file__).with_name("manifest.yaml")
