"""What made a download fail, told by the exception's type, never by the words of its message.

Scrapy reports two limits without an exception type of their own; each predicate here names
the Scrapy code it relies on, and tests/crawler/test_scrapy_hooks.py checks, against a real
local server, that the pinned Scrapy still raises them so:

- DOWNLOAD_MAXSIZE while downloading: the HTTP/1.1 handler
  (``scrapy.core.downloader.handlers.http11``) raises Twisted's ``CancelledError`` when the
  announced Content-Length is over the limit (``_cb_bodyready``), and cancels the body's
  Deferred, which fails with ``CancelledError`` too, once more bytes than that have arrived
  (``_ResponseReader.dataReceived``). Nothing else in a download raises it: timeouts are
  ``TimeoutError``, refused connections ``ConnectionRefusedError``.
- DOWNLOAD_MAXSIZE while decompressing: ``HttpCompressionMiddleware.process_response`` raises
  ``IgnoreRequest`` *from* ``scrapy.utils._compression._DecompressionMaxSizeExceeded``.

A robots.txt refusal has its own type, raised by our robots.txt middleware
(crawler.middlewares.quiet.RobotsForbidden).
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from twisted.internet.defer import CancelledError


def over_download_size(exc: BaseException | None) -> bool:
    """The response was larger than DOWNLOAD_MAXSIZE (announced, or as it arrived)."""
    return isinstance(exc, CancelledError)


def over_decompressed_size(exc: BaseException | None) -> bool:
    """The response inflated past DOWNLOAD_MAXSIZE (a decompression bomb, or just too big)."""
    return isinstance(exc, IgnoreRequest) and isinstance(
        exc.__cause__, _DecompressionMaxSizeExceeded
    )
