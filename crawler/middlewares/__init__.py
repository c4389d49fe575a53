"""Downloader middlewares: where newsmon refuses unsafe targets and honours Crawl-delay."""
