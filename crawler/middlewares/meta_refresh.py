"""Scrapy's meta-refresh redirects, read from the start of the page only.

Scrapy's ``MetaRefreshMiddleware`` looks for ``<meta http-equiv="refresh">`` in the first 4096
characters of ``response.text``, but ``response.text`` decodes the whole body and keeps it on
the response: for a 300 kB news page, a few milliseconds of the reactor thread and about 600 kB
(one to four bytes a character) held until the page's item is stored, for every page. Measured
on the corpus crawl (issue 16) those decoded copies were 40 MB of the crawl process's peak.
The pages are decoded once, in the extraction workers; this middleware decodes only the head,
and only when the word "refresh" is in it: guessing the head's encoding (no charset in the
header or a meta tag means a statistical guess) was still 5% of the crawl process's CPU on the
corpus (py-spy, issue 16), for pages that almost never redirect this way.
"""

from __future__ import annotations

import re

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response

#: Bytes decoded: at most 4 bytes a character, so at least the 4096 characters Scrapy reads.
HEAD_BYTES = 4 * 4096
# A meta refresh names itself in ASCII in every encoding Scrapy reads it from, except the
# UTF-16/32 ones, where ASCII letters come with NUL bytes: those heads are always decoded.
_MAYBE_REFRESH = re.compile(rb"refresh|\x00", re.IGNORECASE)


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """``MetaRefreshMiddleware`` on a copy of the response cut to its first HEAD_BYTES."""

    def process_response(
        self, request: Request, response: Response, spider: Spider
    ) -> Request | Response:
        if isinstance(response, HtmlResponse) and not _MAYBE_REFRESH.search(
            response.body, 0, HEAD_BYTES
        ):
            return response
        if not isinstance(response, HtmlResponse) or len(response.body) <= HEAD_BYTES:
            return super().process_response(request, response, spider)
        result = super().process_response(request, (head := _head_of(response)), spider)
        return response if result is head else result


def _head_of(response: HtmlResponse) -> HtmlResponse:
    """A copy of ``response`` cut to its first HEAD_BYTES, whose encoding is read from the head.

    Not ``response.replace(body=...)``: that reads every attribute of the whole response first,
    ``encoding`` included, which for a page without a declared charset decodes the whole body
    to guess it (11 MB held for the corpus's 2.9 MB page whose scripts say "refresh").
    """
    kwargs = {
        name: getattr(response, name)
        for name in response.attributes
        if name not in ("body", "encoding")
    }
    return response.__class__(body=response.body[:HEAD_BYTES], **kwargs)
