"""Light text matching shared by the digest and watch rules (no model, no numpy: the digest
and every crawl import it)."""
