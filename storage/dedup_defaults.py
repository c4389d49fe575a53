"""The near-duplicate check's defaults, in one place.

The config's ``[dedup]`` section, the crawl job, the crawl's pipelines and the dedup index all
take theirs from here. A module of its own, importing nothing, so that the config and the
crawl's plain job description can name them without loading numpy or SQLAlchemy.
"""

from __future__ import annotations

#: Jaccard similarity from which two texts are the same story.
DEFAULT_NEAR_THRESHOLD = 0.8
#: Permutations in a MinHash signature (its length in uint32 values).
DEFAULT_NUM_PERM = 128
#: Words in one shingle.
DEFAULT_SHINGLE_WORDS = 5
