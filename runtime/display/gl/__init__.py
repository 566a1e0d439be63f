"""The GL panel path: each panel format composed by an OpenGL ES 3.1 shader (docs/panels.md#the-gl-path)."""
