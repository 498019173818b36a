"""/catalog/static/ (the pages' stylesheet and script: no inline code under the
Content-Security-Policy) and the photos at a size named in the URL (an <img> cannot
send ``Accept: image/*;size=256``)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request, send_from_directory

from xmlapi.catalog import photos
from xmlapi.http.images import image_response

bp = Blueprint("pages_assets", __name__)

ASSETS = {"pages.css", "pages.js"}
ASSET_MAX_AGE = 300


def assets_dir() -> Path:
    """``templates/assets``: found where the templates are."""
    return Path(current_app.root_path, current_app.template_folder, "assets")


@bp.get("/static/<path:name>", endpoint="asset")
def asset(name: str) -> Response:
    if name not in ASSETS:
        abort(404, "No such file.")
    return send_from_directory(assets_dir(), name, max_age=ASSET_MAX_AGE)


@bp.get("/products/<int:product_id>/photos/<int:photo_id>/image/", endpoint="image")
def image(product_id: int, photo_id: int) -> Response:
    size = request.args.get("size", "original")
    if size not in photos.SIZES:
        abort(404, f"No such size; sizes are {', '.join(photos.SIZES)}.")
    return image_response(product_id, photo_id, size)
