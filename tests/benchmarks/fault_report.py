"""The fault report: crawl the fault-injecting site once and print what happened per fault.

    python tests/benchmarks/fault_report.py [--keep DIR]

Columns: fault, requests the site saw for it, good articles expected, stored, lost, doubled,
junk (rows stored from fault pages), garbled (good article stored with wrong text), the
source's error count in crawl_run_sources, log lines naming it, and its last error. The
crawl's fault-related stats counters follow. Exit status 1 when any article is lost or
doubled, 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.faults.matrix import format_table, run_matrix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the database")
    args = parser.parse_args(argv)
    if args.keep:
        workdir = Path(args.keep)
        result = run_matrix(workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="newsmon-faults-") as tmp:
            result = run_matrix(Path(tmp))
    print(format_table(result))
    if result.crawl.returncode not in (0, 3):
        print(f"\ncrawl stderr (tail):\n{result.crawl.stderr[-3000:]}", file=sys.stderr)
    if not result.ok:
        print("\nFAIL: some good articles were lost or doubled", file=sys.stderr)
        return 1
    print("\nOK: no good article lost or doubled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
