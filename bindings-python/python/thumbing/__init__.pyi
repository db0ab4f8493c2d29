"""Fast, safe avatars and thumbnails from untrusted photos."""

from collections.abc import Sequence
from typing import ClassVar, Final, Literal, final

from _typeshed import ReadableBuffer, StrPath, SupportsRead
from typing_extensions import TypeAlias

__version__: Final[str]
__all__ = [
    "DEFAULT_MAX_INPUT_BYTES",
    "DEFAULT_MAX_PIXELS",
    "MAX_OUTPUT_SIDE",
    "Avatar",
    "CorruptImageError",
    "EncodeError",
    "ImageInfo",
    "ImageTooLargeError",
    "ImageWarning",
    "ThumbingError",
    "UnsupportedFormatError",
    "__version__",
    "avatar",
    "probe",
    "process",
]

DEFAULT_MAX_PIXELS: Final[int]
"""The default ``max_pixels``: 100 megapixels (width × height as declared by the header)."""
DEFAULT_MAX_INPUT_BYTES: Final[int]
"""The default ``max_input_bytes``: 50 MiB."""
MAX_OUTPUT_SIDE: Final[int]
"""The largest output side: 16384 pixels."""

_ImageData: TypeAlias = ReadableBuffer | StrPath | SupportsRead[bytes]
"""Image data: ``bytes`` (used without a copy), any bytes-like object (copied), a path
(``str`` or ``os.PathLike``, read with the GIL released) or a binary file object (read to
the end, at most ``max_input_bytes + 1`` bytes)."""

_OutputFormat: TypeAlias = Literal["jpeg", "jpg", "png", "webp", "webp-lossless", "avif"]
"""Output format; ``"jpg"`` is an alias of ``"jpeg"``. Case-insensitive."""
_Crop: TypeAlias = Literal["centre", "center", "smart", "attention", "entropy"] | tuple[float, float]
"""Where a cover crop goes: centred, content-aware (``"smart"``; ``"attention"`` and
``"entropy"`` are aliases), or centred on an ``(x, y)`` focal point given as fractions of the
upright width and height (0..1). A string ``"x,y"`` is accepted too."""
_Fit: TypeAlias = Literal["cover", "contain", "inside"]
"""``"cover"`` fills the box and crops, ``"contain"`` letterboxes with ``background``,
``"inside"`` scales to fit without cropping or padding (the output may be smaller than the box)."""
_Filter: TypeAlias = Literal["lanczos3", "lanczos", "mitchell", "catmull-rom", "catmullrom", "cubic", "bilinear", "triangle", "box", "nearest"]
"""The resampling filter (default ``"lanczos3"``)."""
_PngCompression: TypeAlias = Literal["fast", "balanced", "smallest"]
"""PNG compression effort."""
_FailOn: TypeAlias = Literal["warning", "truncated", "never"]
"""``"truncated"`` (default): damage thumbing recovers from gives the avatar and an
:class:`ImageWarning`; a truncated file is a ``CorruptImageError``. ``"warning"``: any damage
is a ``CorruptImageError`` (sharp's default). ``"never"``: best effort, decode what arrived
and fail only when nothing usable is there."""
_Size: TypeAlias = int | tuple[int, int]
"""A square side, or a ``(width, height)`` box."""
_RGB: TypeAlias = tuple[int, int, int]
"""An ``(r, g, b)`` colour, each channel 0..255."""

def avatar(
    data: _ImageData,
    size: int = 512,
    *,
    format: _OutputFormat = "jpeg",
    quality: int = 80,
    crop: _Crop = "centre",
    fit: _Fit = "cover",
    filter: _Filter = "lanczos3",
    background: _RGB = (255, 255, 255),
    progressive: bool = False,
    png_compression: _PngCompression = "balanced",
    max_pixels: int = 100000000,
    max_input_bytes: int = 52428800,
    fail_on: _FailOn = "truncated",
) -> bytes:
    """Makes one ``size`` × ``size`` avatar and returns the encoded file.

    The image is turned upright (EXIF orientation), converted to sRGB, cropped to fill the
    square, resized with Lanczos3 and encoded (JPEG quality 80 by default). No metadata
    (EXIF, GPS, ICC) is written. ``format`` is ``"jpeg"``, ``"png"``, ``"webp"`` (lossy),
    ``"webp-lossless"`` or ``"avif"``; ``quality`` (1..100) applies to JPEG, WebP and AVIF; ``background`` is
    what transparency is flattened onto for JPEG and what ``fit="contain"`` pads with.

    :raises UnsupportedFormatError: not a JPEG, PNG, WebP or GIF.
    :raises CorruptImageError: damaged or truncated data.
    :raises ImageTooLargeError: more than ``max_input_bytes`` bytes or ``max_pixels`` pixels.
    :raises EncodeError: the encoder failed.
    :raises ValueError: an option has an impossible value.
    :raises TypeError: an argument has the wrong type.
    :raises OSError: a path could not be read.
    """

def process(
    data: _ImageData,
    *,
    sizes: Sequence[_Size] = ...,  # [512]: one 512×512 avatar
    format: _OutputFormat = "jpeg",
    quality: int = 80,
    crop: _Crop = "centre",
    fit: _Fit = "cover",
    filter: _Filter = "lanczos3",
    background: _RGB = (255, 255, 255),
    progressive: bool = False,
    png_compression: _PngCompression = "balanced",
    max_pixels: int = 100000000,
    max_input_bytes: int = 52428800,
    fail_on: _FailOn = "truncated",
) -> list[Avatar]:
    """Makes several avatars from one decode: one :class:`Avatar` per entry of ``sizes``
    (square sides and ``(width, height)`` boxes, at most 32), in order.

    Raises the same exceptions as :func:`avatar`.
    """

def probe(data: _ImageData) -> ImageInfo:
    """Reads the headers without decoding pixels. No limits apply: a decompression bomb
    reports its declared size here, and :func:`avatar`/:func:`process` reject it.

    :raises UnsupportedFormatError: not a JPEG, PNG, WebP or GIF.
    :raises CorruptImageError: the headers are damaged.
    :raises OSError: a path could not be read.
    """

@final
class Avatar:
    """One encoded output image. ``bytes(avatar)`` is ``avatar.data``."""

    @property
    def data(self) -> bytes:
        """The encoded file."""
    @property
    def width(self) -> int:
        """Width in pixels."""
    @property
    def height(self) -> int:
        """Height in pixels."""
    @property
    def format(self) -> Literal["jpeg", "png", "webp", "webp-lossless", "avif"]:
        """The format of ``data``."""
    @property
    def mime_type(self) -> Literal["image/jpeg", "image/png", "image/webp", "image/avif"]:
        """The MIME type of ``data``, for a ``Content-Type`` header."""
    @property
    def extension(self) -> Literal["jpg", "png", "webp", "avif"]:
        """The usual file extension, without a dot."""
    @property
    def warnings(self) -> tuple[ImageWarning, ...]:
        """The damage in the input that the avatar was made despite (empty for an intact file)."""
    def __bytes__(self) -> bytes: ...

@final
class ImageInfo:
    """What :func:`probe` reads from the headers. Comparable and hashable."""

    @property
    def format(self) -> Literal["jpeg", "png", "webp", "gif"]:
        """The format, sniffed from the bytes."""
    @property
    def width(self) -> int:
        """Stored width in pixels."""
    @property
    def height(self) -> int:
        """Stored height in pixels."""
    @property
    def orientation(self) -> int:
        """The EXIF orientation, 1..8 (1 when absent or invalid)."""
    @property
    def has_alpha(self) -> bool:
        """Whether the image has an alpha channel or transparency."""
    @property
    def color_model(self) -> Literal["gray", "rgb", "palette", "cmyk"]:
        """Colour model of the stored pixels."""
    @property
    def has_icc(self) -> bool:
        """Whether an ICC colour profile is embedded."""
    @property
    def bit_depth(self) -> int:
        """Bits per sample as stored."""
    @property
    def animated(self) -> bool:
        """Whether the file is animated; avatars use the first frame."""
    @property
    def progressive(self) -> bool:
        """Whether the image is progressive (JPEG) or interlaced (PNG, GIF)."""
    @property
    def upright_size(self) -> tuple[int, int]:
        """``(width, height)`` after the EXIF orientation is applied."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

class ThumbingError(Exception):
    """Base class of every error thumbing raises for an image."""

    code: ClassVar[str]
    """A stable snake_case category: ``unsupported_format``, ``corrupt``, ``too_large``,
    ``encode`` (``error`` on this base class)."""

class UnsupportedFormatError(ThumbingError):
    """Not a JPEG, PNG, WebP or GIF, or an unsupported feature of one. ``code == "unsupported_format"``."""

class CorruptImageError(ThumbingError):
    """Damaged data: truncated, bad checksums, invalid headers. ``code == "corrupt"``."""

class ImageTooLargeError(ThumbingError):
    """More than ``max_input_bytes`` or ``max_pixels``; rejected from the header. ``code == "too_large"``."""

class EncodeError(ThumbingError):
    """The encoder failed. ``code == "encode"``."""

class ImageWarning(UserWarning):
    """Damage that thumbing recovered from; issued with ``warnings.warn`` and listed in
    ``Avatar.warnings``."""

    code: str
    """The kind of damage: ``corrupt_data``, ``extraneous_bytes``, ``checksum``, ``metadata``,
    ``trailing_data`` or ``truncated``."""
    offset: int | None
    """The byte of the input where it was found, when known."""
