"""Compressed answers for reps who pay for every byte: zstd, Brotli or gzip, whichever the client accepts, with
BREACH's random padding.

Which coding, at which level, for which answers is this project's; the codings themselves come from libraries:
gzip is Django's GZipMiddleware (its "Heal The Breach" padding, random bytes in the gzip header), zstd comes from
backports.zstd (the standard library's `compression.zstd` from Python 3.14, same API), Brotli from `brotli`.

Two packages were weighed and left:
- django-compression-middleware 0.5.0 (last released in 2023, classified up to Django 4.1) pads nothing, so its
  gzip drops the protection Django's has, and it hands an async streaming answer to a sync generator.
- django-http-compression 1.4.0 pads with a random `x-noise` header instead of inside the body: headers and body
  go out in separate TLS records (uvicorn writes them apart) or HTTP/2 frames, so an observer can measure the body
  alone. Its levels are fixed too (zstd 3, Brotli 4): 22 % and 10 % more bytes than the levels below on a sync page.
"""

from __future__ import annotations

import functools
import re
import secrets
import struct
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Literal, Protocol

import brotli
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

Coding = Literal["zstd", "br", "gzip"]

# Measured on a pull page of `seed_demo --clients 300` (857 KB of JSON, 1000 changes; medians of 31 runs, 2-core
# server): gzip 6, which Django uses, makes 116 KB in 9.3 ms. zstd 10 makes 86 KB in 8.5 ms, the highest level no
# slower than that (11 costs 3 ms more for 0.8 KB; 19 makes 78 KB in 260 ms). Brotli 6 makes 88 KB in 10 ms, about
# gzip's time, as 5 does (89 KB); 9 makes 86 KB in 35 ms, 11 75 KB in 890 ms. The view itself takes 450 ms. The
# same changes in the v2 page (393 KB): gzip 85 KB, zstd 65 KB, Brotli 67 KB, each in 3-7 ms. Up to level 19 zstd
# keeps within the 8 MB window that browsers decode (RFC 9659).
ZSTD_LEVEL = 10
BROTLI_QUALITY = 6

# What compresses: text, JSON, JavaScript, XML, YAML (the OpenAPI schema), SVG and PDF. JPEG photos, PNG icons,
# fonts in WOFF2 and spreadsheets (zip) are compressed already: their bytes would only cost time.
COMPRESSIBLE = re.compile(
    r"""^(?:
        text/
        | image/svg\+xml
        | application/(?:json|javascript|ecmascript|xml|yaml|pdf|vnd\.oai\.openapi|[\w.-]+\+(?:json|xml|yaml))\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Pages carry CSRF tokens and reflect input: they must be padded, and the brotli library has no way to write padding
# (the format's metadata blocks are out of its reach), so a page goes in zstd or gzip only.
PAGE = re.compile(r"^(?:text/html|application/xhtml\+xml)\b", re.IGNORECASE)
# The server's order when the client accepts several codings equally: zstd first, padded, and on a sync page as
# small as Brotli in less time.
PREFERENCE: tuple[Coding, ...] = ("zstd", "br", "gzip")

# A zstd skippable frame (RFC 8878, 3.1.2): this magic number, the length of what follows, then bytes that every
# decoder skips (libzstd's streaming decoder, which Chromium and Firefox use, goes on to the next frame).
SKIPPABLE_FRAME_MAGIC = 0x184D2A50


@functools.lru_cache(maxsize=64)
def accepted_codings(accept_encoding: str) -> tuple[Coding, ...]:
    """The codings of ours that an Accept-Encoding header accepts, the client's preferred first (RFC 9110, 12.5.3):
    `q=0` refuses a coding, `*` stands for the codings not named."""
    quality: dict[str, float] = {}
    for part in accept_encoding[:1000].split(","):
        name, _semicolon, parameters = part.partition(";")
        q = 1.0
        for parameter in parameters.split(";"):
            key, _equals, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name.strip():
            quality[name.strip().lower()] = q
    wildcard = quality.get("*", 0.0)
    ranked = sorted(PREFERENCE, key=lambda coding: -quality.get(coding, wildcard))
    return tuple(coding for coding in ranked if quality.get(coding, wildcard) > 0)


class CompressionMiddleware(GZipMiddleware):
    """Compresses an answer in the best coding the client accepts; gzip is Django's own.

    Leaves alone what is small (under Django's 200 bytes), already encoded (WhiteNoise's pre-compressed static
    files), partial (WhiteNoise's byte ranges) or of a type that does not compress. Every zstd and gzip answer is
    padded with 0 to `max_random_bytes` - 1 random bytes, as Django's gzip is; answers vary on Accept-Encoding and
    their ETag turns weak.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        content_type = response.get("Content-Type", "")
        if (
            not COMPRESSIBLE.match(content_type)
            or response.has_header("Content-Encoding")
            or response.has_header("Content-Range")
            or (isinstance(response, HttpResponse) and len(response.content) < 200)
        ):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        codings = accepted_codings(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        if PAGE.match(content_type):
            codings = tuple(coding for coding in codings if coding != "br")
        if not codings:
            return response
        coding = codings[0]
        if coding == "gzip":
            return super().process_response(request, response)
        encoder: Encoder = (ZstdEncoder if coding == "zstd" else BrotliEncoder)(
            padding=secrets.randbelow(self.max_random_bytes)
        )
        if isinstance(response, StreamingHttpResponse):
            content = response.streaming_content
            if isinstance(content, AsyncIterator):
                response.streaming_content = _encode_async(content, encoder)
            else:
                response.streaming_content = _encode(content, encoder)
            response.headers.pop("Content-Length", None)
        elif isinstance(response, HttpResponse):
            compressed = encoder.compress(response.content)
            if len(compressed) >= len(response.content):
                return response
            response.content = compressed
            response.headers["Content-Length"] = str(len(compressed))
        else:
            return response
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = coding
        return response


class Encoder(Protocol):
    def compress(self, content: bytes) -> bytes:
        """The whole content in one go."""

    def start(self) -> bytes:
        """What a stream opens with."""

    def update(self, chunk: bytes, *, flush: bool) -> bytes:
        """The next chunk of a stream; with `flush`, all of it is sent at once."""

    def finish(self) -> bytes:
        """What ends a stream."""


class ZstdEncoder:
    def __init__(self, *, padding: int) -> None:
        self.padding = padding
        self.compressor = zstd.ZstdCompressor(level=ZSTD_LEVEL)

    def compress(self, content: bytes) -> bytes:
        # One frame that records the content's size: the decoder needs no bigger window than that.
        return self.start() + zstd.compress(content, level=ZSTD_LEVEL)

    def start(self) -> bytes:
        # The padding: a skippable frame of `padding` bytes ahead of the content's frame.
        return struct.pack("<II", SKIPPABLE_FRAME_MAGIC, self.padding) + bytes(self.padding)

    def update(self, chunk: bytes, *, flush: bool) -> bytes:
        if flush:
            return self.compressor.compress(chunk, mode=zstd.ZstdCompressor.FLUSH_BLOCK)
        return self.compressor.compress(chunk)

    def finish(self) -> bytes:
        return self.compressor.flush(mode=zstd.ZstdCompressor.FLUSH_FRAME)


class BrotliEncoder:
    """Unpadded: neither the format nor its library offers a place for padding bytes (see PAGE)."""

    def __init__(self, *, padding: int) -> None:
        self.compressor = brotli.Compressor(quality=BROTLI_QUALITY)

    def compress(self, content: bytes) -> bytes:
        return bytes(brotli.compress(content, quality=BROTLI_QUALITY))

    def start(self) -> bytes:
        return b""

    def update(self, chunk: bytes, *, flush: bool) -> bytes:
        return bytes(self.compressor.process(chunk)) + (bytes(self.compressor.flush()) if flush else b"")

    def finish(self) -> bytes:
        return bytes(self.compressor.finish())


def _encode(chunks: Iterator[bytes], encoder: Encoder) -> Iterator[bytes]:
    # Files (FileResponse, WhiteNoise's) stream in blocks of a few KB: compressed across blocks, as Django's gzip is.
    yield encoder.start()
    for chunk in chunks:
        if compressed := encoder.update(chunk, flush=False):
            yield compressed
    yield encoder.finish()


async def _encode_async(chunks: AsyncIterator[bytes], encoder: Encoder) -> AsyncIterator[bytes]:
    # An async stream goes out as it comes (Django's gzip compresses each of its chunks on its own): each is flushed.
    yield encoder.start()
    async for chunk in chunks:
        yield encoder.update(chunk, flush=True)
    yield encoder.finish()
