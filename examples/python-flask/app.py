"""A minimal avatar service: upload a photo, get a square avatar back.

    POST /avatar            multipart/form-data with the photo in the field ``file``
                            (or the raw image as the request body)
         ?size=256          side in pixels (16..1024)
         &format=jpeg       jpeg, png, webp (lossy), webp-lossless or avif
         &crop=centre       centre or smart

The response is the encoded avatar (``Content-Type`` set from the format). Errors are JSON,
``{"error": {"code": ..., "message": ...}}``, with a status that says whose fault it was:

    400 no file, or a bad parameter        413 upload or image too large
    415 not a JPEG, PNG, WebP or GIF       422 a damaged image

thumbing releases the GIL while it works, so a threaded server (Flask's development server,
or e.g. ``gunicorn --threads 4``) processes several uploads at once on several cores.

Run it with ``flask --app app run`` from this directory.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

import thumbing

#: Largest accepted upload. thumbing enforces the same limit on the image it reads.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MIN_SIZE, MAX_SIZE = 16, 1024

STATUS = {
    thumbing.UnsupportedFormatError: 415,
    thumbing.CorruptImageError: 422,
    thumbing.ImageTooLargeError: 413,
    thumbing.EncodeError: 500,
}


def error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES
    app.config["MAX_PIXELS"] = thumbing.DEFAULT_MAX_PIXELS
    app.config.update(config or {})

    @app.post("/avatar")
    def avatar() -> Any:
        upload = request.files.get("file")
        if upload is not None:
            data: Any = upload.stream
        elif request.mimetype.startswith(("image/", "application/octet-stream")):
            data = request.stream
        else:
            return error(400, "no_file", "send the photo as a multipart field named 'file', or as the request body")

        try:
            size = int(request.args.get("size", "256"))
        except ValueError:
            return error(400, "invalid_options", "size must be an integer")
        if not MIN_SIZE <= size <= MAX_SIZE:
            return error(400, "invalid_options", f"size must be between {MIN_SIZE} and {MAX_SIZE}")

        try:
            out = thumbing.process(
                data,
                sizes=[size],
                format=request.args.get("format", "jpeg"),
                crop=request.args.get("crop", "centre"),
                max_input_bytes=app.config["MAX_CONTENT_LENGTH"],
                max_pixels=app.config["MAX_PIXELS"],
            )[0]
        except thumbing.ThumbingError as e:
            status = next((s for cls, s in STATUS.items() if isinstance(e, cls)), 500)
            return error(status, e.code, str(e))
        except ValueError as e:  # a bad format or crop parameter
            return error(400, "invalid_options", str(e))

        response = Response(out.data, mimetype=out.mime_type)
        response.headers["Content-Disposition"] = f'inline; filename="avatar.{out.extension}"'
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(e: RequestEntityTooLarge) -> tuple[Response, int]:
        return error(413, "too_large", f"uploads are limited to {app.config['MAX_CONTENT_LENGTH']} bytes")

    return app


if __name__ == "__main__":
    create_app().run()
