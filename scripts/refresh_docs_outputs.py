"""Re-run every ```python block in docs/ and rewrite the "Output" block after it.

Run after a change that alters what an example prints, then review the diff:
``.venv/bin/python scripts/refresh_docs_outputs.py [docs/page.md ...] && git diff docs``.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.test_docs_examples import DOCS, FENCE, OUTPUT_TITLE, _dedent


def run(code: str) -> str | None:
    """Run one example in a fresh interpreter; its stdout, or None if it failed."""
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=60
        )
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        return None
    return done.stdout


def refresh(page: Path) -> bool:
    """Rewrite the Output blocks of one page; True if anything changed."""
    text = page.read_text(encoding="utf-8")
    blocks = list(FENCE.finditer(text))
    edits: list[tuple[int, int, str]] = []
    for block, nxt in itertools.pairwise(blocks):
        if block["lang"] != "python" or nxt["lang"] != "text":
            continue
        if text[block.end() : nxt.start()].strip() or not OUTPUT_TITLE.search(nxt["attrs"]):
            continue
        output = run(textwrap.dedent(_dedent(block["body"], block["indent"])))
        if output is None:
            print(f"{page}: an example failed; left as it was", file=sys.stderr)
            continue
        indent = nxt["indent"]
        lines = [line.rstrip() for line in output.rstrip("\n").split("\n")]
        body = "".join(f"{indent}{line}\n" if line else "\n" for line in lines)
        start, end = nxt.span("body")
        edits.append((start, end, body))
    new = text
    for start, end, body in reversed(edits):
        new = new[:start] + body + new[end:]
    if new != text:
        page.write_text(new, encoding="utf-8")
        return True
    return False


def main() -> None:
    """Refresh the pages named on the command line, or every page under docs/."""
    named = [Path(arg).resolve() for arg in sys.argv[1:]]
    for page in named or sorted(DOCS.rglob("*.md")):
        if refresh(page):
            print(f"updated {page.relative_to(DOCS.parent)}")


if __name__ == "__main__":
    main()
