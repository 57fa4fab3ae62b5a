"""Generate small, valid baseline JPEG images without any imaging library.

The encoder writes one colour per 8x8 block (only the DC coefficient is used), which is
enough for thumbnails and sample photos that real decoders (Pillow, browsers) accept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import struct

_BLOCK = 8
# Standard luminance DC table (ITU T.81 K.3): code lengths 1..16, categories 0..11.
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_VALUES = tuple(range(12))
# An AC table that only needs to code "end of block" (every AC coefficient is zero).
_AC_BITS = (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
_AC_VALUES = (0x00,)

RGB = tuple[int, int, int]


def _huffman_codes(
    bits: Sequence[int], values: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """Return the canonical Huffman code ``symbol -> (code, length)`` of a DHT table."""
    codes: dict[int, tuple[int, int]] = {}
    code = 0
    index = 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[values[index]] = (code, length)
            code += 1
            index += 1
        code <<= 1
    return codes


_DC_CODES = _huffman_codes(_DC_BITS, _DC_VALUES)
_EOB = _huffman_codes(_AC_BITS, _AC_VALUES)[0x00]


class _BitWriter:
    """Collect bits MSB first and byte-stuff 0xFF as JPEG entropy data requires."""

    def __init__(self) -> None:
        """Start with no bits."""
        self._out = bytearray()
        self._acc = 0
        self._count = 0

    def write(self, value: int, length: int) -> None:
        """Append the ``length`` low bits of ``value``."""
        for shift in range(length - 1, -1, -1):
            self._acc = (self._acc << 1) | ((value >> shift) & 1)
            self._count += 1
            if self._count == _BLOCK:
                self._emit(self._acc)
                self._acc = 0
                self._count = 0

    def _emit(self, byte: int) -> None:
        """Append one byte, stuffing a zero after 0xFF."""
        self._out.append(byte)
        if byte == 0xFF:
            self._out.append(0x00)

    def finish(self) -> bytes:
        """Pad the last byte with one-bits and return the entropy-coded data."""
        if self._count:
            pad = _BLOCK - self._count
            self._emit((self._acc << pad) | ((1 << pad) - 1))
            self._acc = 0
            self._count = 0
        return bytes(self._out)


def _to_ycbcr(color: RGB) -> tuple[int, int, int]:
    """Convert an RGB colour to JPEG YCbCr (0..255 each)."""
    r, g, b = color
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return tuple(max(0, min(255, round(v))) for v in (y, cb, cr))  # type: ignore[return-value]


def _segment(marker: int, payload: bytes) -> bytes:
    """Return a marker segment with its length field."""
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _dht(
    table_class: int, table_id: int, bits: Sequence[int], values: Sequence[int]
) -> bytes:
    """Return one DHT segment."""
    return _segment(0xC4, bytes([(table_class << 4) | table_id, *bits, *values]))


def encode_jpeg(
    width: int,
    height: int,
    pixel: Callable[[int, int], RGB],
    *,
    comment: str = "",
) -> bytes:
    """Encode a baseline JPEG; ``pixel(bx, by)`` gives the colour of each 8x8 block.

    ``width`` and ``height`` are rounded up to whole blocks. ``comment`` goes into a COM
    segment (use it to make otherwise equal images differ byte-wise).
    """
    blocks_x = max(1, -(-width // _BLOCK))
    blocks_y = max(1, -(-height // _BLOCK))
    header = bytearray(b"\xff\xd8")
    header += _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    if comment:
        header += _segment(0xFE, comment.encode())
    # One quantisation table of ones: the DC coefficient is 8 * (level - 128).
    header += _segment(0xDB, bytes([0]) + bytes([1] * 64))
    sof = struct.pack(">BHHB", 8, blocks_y * _BLOCK, blocks_x * _BLOCK, 3)
    sof += b"".join(bytes([component, 0x11, 0]) for component in (1, 2, 3))
    header += _segment(0xC0, sof)
    header += _dht(0, 0, _DC_BITS, _DC_VALUES)
    header += _dht(1, 0, _AC_BITS, _AC_VALUES)
    header += _segment(0xDA, bytes([3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]))

    writer = _BitWriter()
    previous = [0, 0, 0]
    for by in range(blocks_y):
        for bx in range(blocks_x):
            for component, level in enumerate(_to_ycbcr(pixel(bx, by))):
                dc = 8 * (level - 128)
                diff = dc - previous[component]
                previous[component] = dc
                category = abs(diff).bit_length()
                code, length = _DC_CODES[category]
                writer.write(code, length)
                if category:
                    writer.write(
                        diff if diff > 0 else diff + (1 << category) - 1, category
                    )
                writer.write(*_EOB)
    return bytes(header) + writer.finish() + b"\xff\xd9"


def sample_jpeg(
    index: int, *, width: int = 64, height: int = 48, label: str = ""
) -> bytes:
    """Return a small colourful JPEG that differs for every ``index``/``label``."""
    base = (
        (index * 67 + 40) % 256,
        (index * 131 + 90) % 256,
        (index * 29 + 160) % 256,
    )

    def pixel(bx: int, by: int) -> RGB:
        """Shade the base colour into a diagonal gradient."""
        shade = (bx + by) * 12
        return (
            (base[0] + shade) % 256,
            (base[1] + shade // 2) % 256,
            (base[2] + 255 - shade) % 256,
        )

    return encode_jpeg(
        width, height, pixel, comment=f"fake-immich {index} {label}".strip()
    )
