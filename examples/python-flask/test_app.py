"""The avatar endpoint, through Flask's test client."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

import thumbing
from app import create_app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture()
def client() -> FlaskClient:
    return create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 1_000_000}).test_client()


def upload(client: FlaskClient, data: bytes, query: str = "", name: str = "photo.jpg") -> Any:
    return client.post(
        f"/avatar{query}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def photo() -> bytes:
    return (FIXTURES / "landscape_6.jpg").read_bytes()


def test_upload_returns_a_256px_jpeg_avatar(client: FlaskClient) -> None:
    response = upload(client, photo())
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"] == 'inline; filename="avatar.jpg"'
    info = thumbing.probe(response.data)
    assert (info.format, info.width, info.height, info.orientation) == ("jpeg", 256, 256, 1)
    # The same bytes as calling the library directly.
    assert response.data == thumbing.avatar(photo(), 256)


def test_size_format_and_crop_parameters(client: FlaskClient) -> None:
    response = upload(client, photo(), "?size=64&format=webp&crop=smart")
    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    assert response.data == thumbing.avatar(photo(), 64, format="webp", crop="smart")


def test_raw_body_upload(client: FlaskClient) -> None:
    response = client.post("/avatar?size=32", data=photo(), content_type="image/jpeg")
    assert response.status_code == 200
    assert response.data == thumbing.avatar(photo(), 32)


def test_png_with_alpha_becomes_png(client: FlaskClient) -> None:
    data = (FIXTURES / "with-alpha.png").read_bytes()
    response = upload(client, data, "?format=png", name="a.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert thumbing.probe(response.data).has_alpha


@pytest.mark.parametrize(
    ("fixture", "status", "code"),
    [
        ("truncated.png", 422, "corrupt"),
        ("corrupt-header.jpg", 422, "corrupt"),
        ("8bit_depth.tiff", 415, "unsupported_format"),
        ("bomb-100000x100000.png", 413, "too_large"),
    ],
)
def test_bad_images_get_a_json_error(client: FlaskClient, fixture: str, status: int, code: str) -> None:
    response = upload(client, (FIXTURES / fixture).read_bytes())
    assert response.status_code == status
    assert response.json is not None
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]


def test_text_is_unsupported(client: FlaskClient) -> None:
    response = upload(client, b"hello, I am not a photo")
    assert response.status_code == 415
    assert "not a supported image" in response.json["error"]["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?size=big", "size must be an integer"),
        ("?size=4096", "size must be between 16 and 1024"),
        ("?format=gif", 'format "gif" is not one of jpeg, png, webp, webp-lossless or avif'),
        ("?crop=left", 'crop "left" is not one of'),
    ],
)
def test_bad_parameters_are_400(client: FlaskClient, query: str, message: str) -> None:
    response = upload(client, photo(), query)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_options"
    assert message in response.json["error"]["message"]


def test_missing_file_is_400(client: FlaskClient) -> None:
    response = client.post("/avatar", data={"other": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "no_file"


def test_oversized_uploads_are_413(client: FlaskClient) -> None:
    big = photo() + b"\0" * 1_100_000
    assert upload(client, big).status_code == 413
    response = client.post("/avatar", data=big, content_type="image/jpeg")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"


def test_only_post_is_allowed(client: FlaskClient) -> None:
    assert client.get("/avatar").status_code == 405
