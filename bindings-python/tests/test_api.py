"""The public API: results, options and their errors, the returned classes."""

from __future__ import annotations

import inspect

import pytest

import thumbing
from conftest import FIXTURES

JPEG_SOI = b"\xff\xd8\xff"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def test_avatar_defaults_to_a_512px_jpeg(landscape: bytes) -> None:
    out = thumbing.avatar(landscape)
    assert isinstance(out, bytes)
    assert out.startswith(JPEG_SOI)
    info = thumbing.probe(out)
    assert (info.format, info.width, info.height) == ("jpeg", 512, 512)
    # No metadata is carried over: the output has no EXIF orientation.
    assert info.orientation == 1


def test_avatar_size_is_the_second_positional_argument(landscape: bytes) -> None:
    info = thumbing.probe(thumbing.avatar(landscape, 96))
    assert (info.width, info.height) == (96, 96)


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("jpeg", lambda d: d.startswith(JPEG_SOI)),
        ("jpg", lambda d: d.startswith(JPEG_SOI)),
        ("PNG", lambda d: d.startswith(PNG_SIGNATURE)),
        ("webp", lambda d: is_webp(d) and b"VP8 " in d[:64]),
        ("webp-lossless", lambda d: is_webp(d) and b"VP8L" in d[:64]),
        ("avif", lambda d: d[4:12] == b"ftypavif"),
    ],
)
def test_output_formats(landscape: bytes, fmt: str, check) -> None:
    assert check(thumbing.avatar(landscape, 48, format=fmt))


def test_process_returns_one_avatar_per_size_in_order(landscape: bytes) -> None:
    avatars = thumbing.process(landscape, sizes=(256, (320, 180), 64), format="webp")
    assert [(a.width, a.height) for a in avatars] == [(256, 256), (320, 180), (64, 64)]
    for a in avatars:
        assert isinstance(a, thumbing.Avatar)
        assert a.format == "webp"
        assert a.mime_type == "image/webp"
        assert a.extension == "webp"
        assert bytes(a) == a.data
        assert is_webp(a.data)
        info = thumbing.probe(a.data)
        assert (info.width, info.height) == (a.width, a.height)


def test_process_default_is_one_512px_jpeg(landscape: bytes) -> None:
    [a] = thumbing.process(landscape)
    assert (a.width, a.height, a.format, a.mime_type, a.extension) == (512, 512, "jpeg", "image/jpeg", "jpg")


def test_process_and_avatar_agree(landscape: bytes) -> None:
    [a] = thumbing.process(landscape, sizes=[200], quality=70, crop="smart")
    assert a.data == thumbing.avatar(landscape, 200, quality=70, crop="smart")


def test_options_change_the_output(landscape: bytes) -> None:
    base = thumbing.avatar(landscape, 64)
    variants = [
        {"quality": 95},
        {"crop": "smart"},
        {"crop": (0.1, 0.9)},
        {"crop": "0.1,0.9"},
        {"fit": "contain"},
        {"filter": "nearest"},
        {"progressive": True},
    ]
    for kwargs in variants:
        assert thumbing.avatar(landscape, 64, **kwargs) != base, kwargs
    assert thumbing.avatar(landscape, 64, crop=(0.1, 0.9)) == thumbing.avatar(landscape, 64, crop="0.1,0.9")
    assert thumbing.avatar(landscape, 64, crop="center") == base


def test_fit_inside_keeps_the_aspect_ratio(landscape: bytes) -> None:
    info = thumbing.probe(landscape)
    up_w, up_h = info.upright_size
    [a] = thumbing.process(landscape, sizes=[100], fit="inside")
    assert max(a.width, a.height) == 100
    assert abs(a.width / a.height - up_w / up_h) < 0.05


def test_background_is_used_for_letterboxing(landscape: bytes) -> None:
    # A tall box around an image that is not tall: contain pads top and bottom.
    white, black = (
        thumbing.process(landscape, sizes=[(40, 400)], fit="contain", format="png", background=bg)[0].data
        for bg in [(255, 255, 255), (0, 0, 0)]
    )
    assert white != black


def test_png_compression_levels(landscape: bytes) -> None:
    fast, smallest = (
        thumbing.avatar(landscape, 128, format="png", png_compression=level) for level in ["fast", "smallest"]
    )
    assert len(smallest) <= len(fast)


def test_probe_reads_headers() -> None:
    info = thumbing.probe((FIXTURES / "landscape_6.jpg").read_bytes())
    assert info.format == "jpeg"
    assert info.orientation == 6
    assert info.upright_size == (info.height, info.width)
    assert info.bit_depth == 8
    assert info.color_model == "rgb"
    assert not info.has_alpha and not info.animated
    gray = thumbing.probe(FIXTURES / "gray.png")
    assert (gray.format, gray.color_model) == ("png", "gray")


def test_probe_reports_a_bomb_without_limits() -> None:
    info = thumbing.probe(FIXTURES / "bomb-100000x100000.png")
    assert (info.width, info.height) == (100_000, 100_000)


def test_image_info_is_comparable_and_hashable(landscape: bytes) -> None:
    a, b = thumbing.probe(landscape), thumbing.probe(bytearray(landscape))
    assert a == b and hash(a) == hash(b)
    assert a != thumbing.probe(FIXTURES / "gray.png")
    assert len({a, b}) == 1


def test_reprs(landscape: bytes) -> None:
    info = thumbing.probe(landscape)
    assert repr(info).startswith("ImageInfo(format='jpeg', width=")
    assert "orientation=6" in repr(info)
    [a] = thumbing.process(landscape, sizes=[32])
    assert repr(a) == f"Avatar(format='jpeg', width=32, height=32, data=<{len(a.data)} bytes>)"


def test_classes_are_immutable_and_not_constructible(landscape: bytes) -> None:
    [a] = thumbing.process(landscape, sizes=[32])
    with pytest.raises(AttributeError):
        a.width = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        thumbing.Avatar()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        thumbing.ImageInfo()  # type: ignore[call-arg]


def test_constants_are_the_core_defaults() -> None:
    assert thumbing.DEFAULT_MAX_PIXELS == 100_000_000
    assert thumbing.DEFAULT_MAX_INPUT_BYTES == 50 * 1024 * 1024
    assert thumbing.MAX_OUTPUT_SIDE == 16_384
    assert isinstance(thumbing.__version__, str) and thumbing.__version__.count(".") == 2


def test_signatures_show_the_defaults() -> None:
    sig = inspect.signature(thumbing.avatar)
    assert sig.parameters["size"].default == 512
    assert sig.parameters["format"].default == "jpeg"
    assert sig.parameters["quality"].default == 80
    assert sig.parameters["crop"].default == "centre"
    assert sig.parameters["background"].default == (255, 255, 255)
    assert sig.parameters["max_pixels"].default == thumbing.DEFAULT_MAX_PIXELS
    assert sig.parameters["max_input_bytes"].default == thumbing.DEFAULT_MAX_INPUT_BYTES
    assert sig.parameters["format"].kind is inspect.Parameter.KEYWORD_ONLY
    psig = inspect.signature(thumbing.process)
    # A list, not (512,): CPython's parser of text signatures drops the comma of a 1-tuple.
    assert psig.parameters["sizes"].default == [512]
    assert psig.parameters["sizes"].kind is inspect.Parameter.KEYWORD_ONLY
    # process() and avatar() share every option but the size(s).
    assert list(psig.parameters)[2:] == list(sig.parameters)[2:]
    for fn in (thumbing.avatar, thumbing.process, thumbing.probe):
        assert fn.__doc__ and len(fn.__doc__) > 80


def test_limits_are_keyword_arguments(landscape: bytes) -> None:
    info = thumbing.probe(landscape)
    pixels = info.width * info.height
    assert thumbing.avatar(landscape, 32, max_pixels=pixels)
    with pytest.raises(thumbing.ImageTooLargeError, match=rf"more than the limit of {pixels - 1} pixels"):
        thumbing.avatar(landscape, 32, max_pixels=pixels - 1)
    assert thumbing.avatar(landscape, 32, max_input_bytes=len(landscape))
    with pytest.raises(thumbing.ImageTooLargeError, match=rf"input is {len(landscape)} bytes"):
        thumbing.avatar(landscape, 32, max_input_bytes=len(landscape) - 1)
    # Huge limits mean "no practical limit", not an overflow.
    assert thumbing.avatar(landscape, 32, max_pixels=10**30, max_input_bytes=10**30)


def test_truncated_input_fails_unless_best_effort() -> None:
    data = (FIXTURES / "truncated.png").read_bytes()
    with pytest.raises(thumbing.CorruptImageError):
        thumbing.avatar(data, 64)
    out = thumbing.avatar(data, 64, fail_on="never")
    assert thumbing.probe(out).width == 64


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quality": 0}, "quality 0 is out of range 1..=100"),
        ({"quality": 101}, "quality 101 is out of range 1..=100"),
        ({"quality": 1000}, "quality 1000 is out of range 1..=100"),
        ({"quality": -1}, "quality -1 is out of range 1..=100"),
        ({"format": "gif"}, 'format "gif" is not one of jpeg, png, webp, webp-lossless or avif'),
        ({"crop": "middle"}, 'crop "middle" is not one of centre, smart or X,Y'),
        ({"crop": (1.5, 0.5)}, r"focal point \(1.5, 0.5\) must lie within 0..=1"),
        ({"crop": (0.5,)}, r"a focal point must be \(x, y\)"),
        ({"fit": "fill"}, 'fit "fill" is not one of cover, contain or inside'),
        ({"filter": "sinc"}, 'filter "sinc" is not one of'),
        ({"png_compression": "max"}, 'png_compression "max" is not one of'),
        ({"fail_on": "strict"}, 'fail_on "strict" is not one of'),
        ({"background": (0, 0)}, r"background must be three ints in 0..=255"),
        ({"background": (0, 0, 256)}, r"background must be three ints in 0..=255"),
        ({"max_pixels": 0}, "limits must be greater than zero"),
        ({"max_pixels": -5}, "max_pixels must not be negative"),
        ({"max_input_bytes": -(10**30)}, "max_input_bytes must not be negative"),
    ],
)
def test_bad_option_values_raise_value_error(landscape: bytes, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as excinfo:
        thumbing.avatar(landscape, 64, **kwargs)
    assert not isinstance(excinfo.value, thumbing.ThumbingError)
    assert str(excinfo.value).startswith("invalid options: ")


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (0, "output size 0x0 is out of range: each side must be 1..=16384"),
        (16_385, "output size 16385x16385 is out of range"),
        (-3, "output size -3x-3 is out of range"),
        (2**40, f"output size {2**40}x{2**40} is out of range"),
    ],
)
def test_bad_sizes_raise_value_error(landscape: bytes, size: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        thumbing.avatar(landscape, size)
    with pytest.raises(ValueError, match=message):
        thumbing.process(landscape, sizes=[64, size])


def test_bad_size_lists_raise_value_error(landscape: bytes) -> None:
    with pytest.raises(ValueError, match="at least one output size is needed"):
        thumbing.process(landscape, sizes=[])
    with pytest.raises(ValueError, match="33 output sizes requested; at most 32"):
        thumbing.process(landscape, sizes=range(1, 34))
    with pytest.raises(ValueError, match=r"a box in sizes must be \(width, height\)"):
        thumbing.process(landscape, sizes=[(1, 2, 3)])
    with pytest.raises(ValueError, match="output size 10x0 is out of range"):
        thumbing.process(landscape, sizes=[(10, 0)])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quality": "high"}, "quality must be an int, not str"),
        ({"quality": 80.0}, "quality must be an int, not float"),
        ({"quality": True}, "quality must be an int, not bool"),
        ({"format": None}, r"format must be a str \('jpeg', 'png', 'webp', 'webp-lossless' or 'avif'\), not NoneType"),
        ({"crop": 5}, "crop must be 'centre', 'smart' or an \\(x, y\\) focal point, not int"),
        ({"crop": ("a", "b")}, "focal point coordinates must be numbers, not str"),
        ({"fit": 1}, "fit must be a str"),
        ({"background": "white"}, r"background must be an \(r, g, b\) tuple, not str"),
        ({"background": (0.5, 0, 0)}, "background channels must be an int, not float"),
        ({"progressive": 1}, "progressive must be True or False, not int"),
        ({"max_pixels": 1.5}, "max_pixels must be an int, not float"),
    ],
)
def test_bad_option_types_raise_type_error(landscape: bytes, kwargs: dict, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        thumbing.avatar(landscape, 64, **kwargs)


def test_bad_size_types_raise_type_error(landscape: bytes) -> None:
    with pytest.raises(TypeError, match="size must be an int, not str"):
        thumbing.avatar(landscape, "64")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"sizes must be a sequence, e.g. sizes=\(512,\)"):
        thumbing.process(landscape, sizes=512)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sizes must be a sequence of ints and"):
        thumbing.process(landscape, sizes="512")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"each of sizes must be an int or a \(width, height\) pair, not float"):
        thumbing.process(landscape, sizes=[1.5])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="unexpected keyword argument 'size'"):
        thumbing.process(landscape, size=64)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        thumbing.process(landscape, (64,))  # type: ignore[misc]


def test_options_are_checked_before_the_data_is_read() -> None:
    class Unreadable:
        def read(self, n: int = -1) -> bytes:
            raise AssertionError("read() must not be called when the options are invalid")

    with pytest.raises(ValueError, match="quality"):
        thumbing.avatar(Unreadable(), 64, quality=0)
