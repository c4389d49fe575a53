"""``newsmon sources``: finding, testing, listing, importing and exporting sources."""
