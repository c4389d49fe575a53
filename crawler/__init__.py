"""Scrapy side of newsmon: discovery spiders, settings, items, pipelines, extraction, relevance."""
