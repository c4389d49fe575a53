"""Run the demo site by hand: ``python -m scheduler.demosite --port 8000``."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from scheduler.demosite.server import NewsSite


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scheduler.demosite", description="Serve the bundled demo news site."
    )
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0 = any)")
    parser.add_argument("--crawl-delay", type=float, default=0.2, help="robots.txt Crawl-delay")
    args = parser.parse_args(argv)
    site = NewsSite(port=args.port, crawl_delay=args.crawl_delay)
    base = site.start()
    print(base, flush=True)
    print(f"feeds: {base}/feeds/rss.xml  sitemap: {base}/sitemap.xml  (Ctrl-C stops)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        return 0
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
