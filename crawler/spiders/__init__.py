"""The one spider that crawls every selected source in a single Scrapy run."""
