"""``python -m milcoop.graph.export --write-context``: regenerate the shipped JSON-LD context."""

import sys

from milcoop.graph.export.context import CONTEXT_FILE, write_context

if sys.argv[1:] == ["--write-context"]:
    write_context()
    print(f"wrote {CONTEXT_FILE}")
else:
    print("usage: python -m milcoop.graph.export --write-context", file=sys.stderr)
    sys.exit(2)
