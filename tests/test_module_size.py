"""Meta-tests on module size: no module may exceed 600 code lines, and the kernel must stay small.

A *code line* is a physical line that holds at least one token other than a comment, a newline
or indentation: blank lines and comment-only lines are dropped, docstrings count. Run this file
as a script to print the largest modules.
"""

from __future__ import annotations

import io
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_CODE_LINES = 600
MAX_KERNEL_CODE_LINES = 3000
KERNEL_SRC = ROOT / "kernel" / "src" / "synetune"

_NON_CODE = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
    tokenize.ENCODING,
}


def code_lines(source: str) -> int:
    """Number of lines of ``source`` that carry code (docstrings and other strings included)."""
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in _NON_CODE:
            continue
        # a multi-line token (a docstring, say) covers every line it spans
        lines.update(range(tok.start[0], tok.end[0] + 1))
    return len(lines)


def source_roots() -> list[Path]:
    roots = [ROOT / "sdk" / "src", ROOT / "kernel" / "src"]
    roots += sorted(p for p in ROOT.glob("plugins/*/*/src") if p.is_dir())
    return roots


def module_sizes(roots: list[Path] | None = None) -> dict[Path, int]:
    sizes: dict[Path, int] = {}
    for root in source_roots() if roots is None else roots:
        for path in sorted(root.rglob("*.py")):
            sizes[path] = code_lines(path.read_text(encoding="utf-8"))
    return sizes


def test_no_module_above_600_code_lines():
    sizes = module_sizes()
    assert sizes, "no modules found under sdk/src, kernel/src or plugins/*/*/src"
    too_big = {str(p.relative_to(ROOT)): n for p, n in sizes.items() if n > MAX_MODULE_CODE_LINES}
    assert not too_big, f"modules above {MAX_MODULE_CODE_LINES} code lines: {too_big}"


def test_kernel_stays_small():
    total = sum(module_sizes([KERNEL_SRC]).values())
    assert total <= MAX_KERNEL_CODE_LINES, (
        f"KERNEL SIZE BUDGET: kernel/src/synetune totals {total} code lines, "
        f"above the budget of {MAX_KERNEL_CODE_LINES}; move code out of the kernel into plugins"
    )


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    ranked = sorted(module_sizes().items(), key=lambda item: item[1], reverse=True)
    for path, n in ranked[:count]:
        print(f"{n:5d}  {path.relative_to(ROOT)}")
    print(f"kernel total: {sum(module_sizes([KERNEL_SRC]).values())}")
