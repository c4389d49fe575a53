"""Item pipelines, one stage per file; their order is the ITEM_PIPELINES table in settings."""
