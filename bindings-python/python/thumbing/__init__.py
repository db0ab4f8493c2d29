"""Fast, safe avatars and thumbnails from untrusted photos.

thumbing decodes JPEG, PNG, WebP and GIF, turns the image upright (EXIF orientation),
converts it to sRGB, crops and resizes it, and encodes JPEG, PNG, WebP (lossy or lossless)
or AVIF without any of the input's metadata. Decompression bombs and oversized inputs are
rejected from the header, before pixel memory is allocated. The work is done in Rust with
the GIL released, so a thread pool uses every core.

>>> import thumbing
>>> jpeg = thumbing.avatar("photo.jpg", 256)                      # doctest: +SKIP
>>> for a in thumbing.process(upload, sizes=(512, 128), format="webp"):  # doctest: +SKIP
...     print(a.width, a.height, a.mime_type, len(a.data))
>>> thumbing.probe(b"...").orientation                            # doctest: +SKIP

``data`` may be ``bytes``, any bytes-like object, a path (``str`` or ``os.PathLike``) or a
binary file object. Failures raise a subclass of :class:`ThumbingError`; invalid options
raise ``ValueError`` or ``TypeError``. Damage that thumbing recovered from (corrupt data in a
JPEG scan, a bad PNG checksum, ...) is issued as an :class:`ImageWarning` with
``warnings.warn`` and listed in ``Avatar.warnings``; ``fail_on="warning"`` refuses such files.
"""

from ._thumbing import (
    DEFAULT_MAX_INPUT_BYTES,
    DEFAULT_MAX_PIXELS,
    MAX_OUTPUT_SIDE,
    Avatar,
    CorruptImageError,
    EncodeError,
    ImageInfo,
    ImageTooLargeError,
    ImageWarning,
    ThumbingError,
    UnsupportedFormatError,
    __version__,
    avatar,
    probe,
    process,
)

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
