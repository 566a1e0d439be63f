"""The Content area's blueprint: pages under /content, templates in templates/content, JS in static/."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("content", __name__, url_prefix="/content", template_folder="templates",
               static_folder="static", static_url_path="/static")
