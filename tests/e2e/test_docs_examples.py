"""Every ```python block in docs/ runs as-is, on its own, in a fresh interpreter.

A block followed by a ```text block titled "Output" must print exactly that
output, so the output shown in the docs is the output the code gives.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

# One fenced block: an opening fence (possibly indented, inside a tab or an
# admonition), its body, and a closing fence at the same indentation.
FENCE = re.compile(
    r"^(?P<indent>[ ]*)```(?P<lang>[\w+-]*)(?P<attrs>[^\n]*)\n"
    r"(?P<body>.*?)"
    r"^(?P=indent)```[ ]*$",
    re.MULTILINE | re.DOTALL,
)
OUTPUT_TITLE = re.compile(r"""title=["']Output["']""")
MIN_BLOCKS = 10


class Example(NamedTuple):
    id: str
    code: str
    output: str | None


def _dedent(body: str, indent: str) -> str:
    lines = body.splitlines()
    return "\n".join(ln[len(indent) :] if ln.startswith(indent) else ln for ln in lines) + "\n"


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def collect_examples(docs: Path = DOCS) -> list[Example]:
    """Every python block under ``docs``, with the Output block that follows it, if any."""
    examples: list[Example] = []
    for page in sorted(docs.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(docs).as_posix()
        blocks = list(FENCE.finditer(text))
        number = 0
        for i, block in enumerate(blocks):
            if block["lang"] != "python":
                continue
            number += 1
            output = None
            if i + 1 < len(blocks):
                nxt = blocks[i + 1]
                between = text[block.end() : nxt.start()]
                if (
                    not between.strip()
                    and nxt["lang"] == "text"
                    and OUTPUT_TITLE.search(nxt["attrs"])
                ):
                    output = _dedent(nxt["body"], nxt["indent"])
            code = _dedent(block["body"], block["indent"])
            examples.append(Example(f"{name}:{number}", textwrap.dedent(code), output))
    return examples


EXAMPLES = collect_examples()


def test_docs_have_enough_python_examples() -> None:
    assert len(EXAMPLES) >= MIN_BLOCKS, (
        f"found {len(EXAMPLES)} python blocks under {DOCS}; expected at least {MIN_BLOCKS}"
    )


def test_the_extractor_finds_indented_blocks_and_their_output(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nprint(1)\n```\n\n"
        '=== "Tab"\n\n    ```python\n    print(2)\n    ```\n\n'
        '    ```text title="Output"\n    2\n    ```\n'
        "```text\nnot code\n```\n",
        encoding="utf-8",
    )
    found = collect_examples(tmp_path)
    assert [(e.id, e.code, e.output) for e in found] == [
        ("page.md:1", "print(1)\n", None),
        ("page.md:2", "print(2)\n", "2\n"),
    ]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_docs_example_runs(example: Example, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", example.code],
        cwd=tmp_path,
        capture_output=True,
        encoding="utf-8",
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert result.returncode == 0, (
        f"{example.id} exited with {result.returncode}\n--- stderr ---\n{result.stderr}"
    )
    if example.output is not None:
        shown, printed = _normalise(example.output), _normalise(result.stdout)
        diff = "\n".join(
            difflib.unified_diff(
                shown.splitlines(), printed.splitlines(), "Output block", "printed", lineterm=""
            )
        )
        assert printed == shown, (
            f"{example.id} printed something other than its Output block\n{diff}"
        )
