#!/usr/bin/env python3
"""Holds the workspace to two structural rules, offline, in about a second:

1. No non-test source file is longer than MAX_LINES (Rust under each crate's `src/`, and the web
   client's modules under `web/assets/`). Test code (a crate's `tests/`, `tests.rs` modules) is
   exempt: a test file may be long as long as it has one subject.
2. No import circle between the modules of one crate: file A uses a name defined in file B, B
   (directly or through others) one defined in A. A name is followed through `pub use`
   re-exports to the file that defines it, and re-exports themselves are not uses (a `mod.rs`
   that re-exports its children does not depend on them).

Exceptions go in ALLOWED with the reason; it starts empty and should stay so.
Usage: scripts/check-structure.py [ROOT]   (exit 0 clean, 1 with a list of what is wrong)
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

MAX_LINES = 600
# path (relative to the root) -> why it may break a rule. Starts empty.
ALLOWED: dict[str, str] = {}

USE_RE = re.compile(r"^\s*(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.M | re.S)
MOD_RE = re.compile(r"^\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", re.M)
INLINE_RE = re.compile(r"\b((?:crate|super|self)(?:::\w+)+)")
TEST_MOD_RE = re.compile(r"#\[cfg\(test\)\]\s*(?:pub\s+)?mod\s+\w+\s*\{")


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def strip_test_modules(text: str) -> str:
    """Drops `#[cfg(test)] mod x { ... }` blocks: tests may use anything."""
    out, pos = [], 0
    for m in TEST_MOD_RE.finditer(text):
        if m.start() < pos:
            continue
        out.append(text[pos : m.start()])
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        pos = i
    out.append(text[pos:])
    return "".join(out)


def expand_use_tree(tree: str) -> list[str]:
    """`a::{b, c::{d, e as f}}` -> ["a::b", "a::c::d", "a::c::e"]."""
    tree = re.sub(r"\s+", "", tree)

    def split_top(s: str) -> list[str]:
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += {"{": 1, "}": -1}.get(ch, 0)
            cur += ch
        if cur:
            parts.append(cur)
        return parts

    def walk(prefix: str, s: str) -> list[str]:
        brace = s.find("{")
        if brace == -1:
            s = s.split("as")[0] if re.search(r"\bas\b", s) else s
            return [prefix + s]
        head, inner = s[:brace], s[brace + 1 : s.rfind("}")]
        res = []
        for part in split_top(inner):
            res.extend(walk(prefix + head, part))
        return res

    paths = []
    for p in walk("", tree):
        p = re.sub(r"as[A-Za-z_]\w*$", "", p) if re.search(r"::\w+as[A-Za-z_]\w*$", p) else p
        paths.append(p.rstrip(":"))
    return paths


class Crate:
    def __init__(self, name: str, root: Path):
        self.name, self.root = name, root
        self.modules: dict[tuple[str, ...], Path] = {}  # module path -> file
        self.reexports: dict[Path, list[tuple[str, ...]]] = {}

    def load(self) -> None:
        src = self.root / "src"
        roots = [p for p in (src / "lib.rs", src / "main.rs") if p.exists()]
        if (src / "bin").is_dir():
            roots += sorted((src / "bin").glob("*.rs")) + sorted((src / "bin").glob("*/main.rs"))
        for entry in roots:
            # Each binary is its own tree; lib.rs and main.rs both count as the crate root.
            self._walk(entry, ())

    def _walk(self, file: Path, path: tuple[str, ...]) -> None:
        if path in self.modules and path != ():
            return
        self.modules.setdefault(path, file)
        text = strip_test_modules(strip_comments(file.read_text()))
        for m in MOD_RE.finditer(text):
            name = m.group(1)
            is_dir_root = file.name in ("lib.rs", "main.rs", "mod.rs") or file.parent.name == "bin"
            here = file.parent if is_dir_root else file.parent / file.stem
            for cand in (here / f"{name}.rs", here / name / "mod.rs"):
                if cand.exists():
                    self._walk(cand, path + (name,))
                    break


def module_of(crate: Crate, file: Path) -> tuple[str, ...] | None:
    for path, f in crate.modules.items():
        if f == file:
            return path
    return None


def absolute(crate: Crate, here: tuple[str, ...], raw: str) -> tuple[str, ...] | None:
    segs = [s for s in raw.split("::") if s]
    if not segs:
        return None
    base: list[str]
    if segs[0] == "crate":
        base, segs = [], segs[1:]
    elif segs[0] in ("super", "self"):
        base = list(here)
        while segs and segs[0] in ("super", "self"):
            if segs.pop(0) == "super":
                if not base:
                    return None
                base.pop()
    elif tuple(here) + (segs[0],) in crate.modules:
        # A child module named without `self::` (2018 paths).
        base = list(here)
    else:
        return None
    return tuple(base + segs)


def defining_file(crate: Crate, full: tuple[str, ...], depth: int = 0) -> Path | None:
    """The file that defines the item `full` names, following `pub use` re-exports."""
    if depth > 8:
        return None
    # Deepest module that is a prefix of the path.
    for cut in range(len(full), -1, -1):
        mod = full[:cut]
        if mod in crate.modules:
            break
    else:
        return None
    file = crate.modules[mod]
    rest = full[cut:]
    if not rest:
        return file
    name = rest[0]
    for target, is_glob in crate.reexports.get(file, []):
        if (not is_glob and target[-1] == name) or is_glob:
            candidate = target if not is_glob else target + (name,)
            found = defining_file(crate, candidate, depth + 1)
            if found is not None and (not is_glob or found != crate.modules.get(target)):
                return found
    return file


def collect(crate: Crate) -> dict[Path, set[Path]]:
    uses: dict[Path, list[tuple[str, ...]]] = {}
    for path, file in crate.modules.items():
        text = strip_test_modules(strip_comments(file.read_text()))
        reexp, used = [], []
        for m in USE_RE.finditer(text):
            for raw in expand_use_tree(m.group(2)):
                is_glob = raw.endswith("*")
                target = absolute(crate, path, raw.rstrip("*").rstrip(":"))
                if target is None:
                    continue
                if m.group(1):
                    reexp.append((target, is_glob))
                else:
                    used.append(target)
        body = USE_RE.sub("", text)
        children = [p[-1] for p in crate.modules if len(p) == len(path) + 1 and p[:-1] == path]
        inline = INLINE_RE.findall(body)
        if children:
            child_re = re.compile(r"(?<![\w:])((?:%s)(?:::\w+)+)" % "|".join(children))
            inline += child_re.findall(body)
        for raw in inline:
            target = absolute(crate, path, raw)
            if target is not None:
                used.append(target)
        crate.reexports[file] = reexp
        uses[file] = used
    edges: dict[Path, set[Path]] = {f: set() for f in uses}
    for file, targets in uses.items():
        for t in targets:
            d = defining_file(crate, t)
            if d is not None and d != file:
                edges[file].add(d)
    return edges


def circles(edges: dict[Path, set[Path]]) -> list[list[Path]]:
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: Path) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    members = tomllib.loads((root / "Cargo.toml").read_text())["workspace"]["members"]
    problems: list[str] = []

    sources = [p for m in members for p in (root / m / "src").rglob("*.rs")]
    sources += sorted((root / "web" / "assets").glob("*.js"))
    for file in sorted(sources):
        rel = file.relative_to(root).as_posix()
        if file.name == "tests.rs" or "/tests/" in rel.split("src/", 1)[-1]:
            continue
        lines = sum(1 for _ in file.open())
        if lines > MAX_LINES and rel not in ALLOWED:
            problems.append(f"{rel}: {lines} lines (at most {MAX_LINES}): split it along its seams")

    for member in members:
        crate = Crate(member, root / member)
        crate.load()
        edges = collect(crate)
        for comp in circles(edges):
            rels = [f.relative_to(root).as_posix() for f in comp]
            if all(r in ALLOWED for r in rels):
                continue
            ties = []
            for a in comp:
                for b in sorted(edges[a] & set(comp)):
                    ties.append(f"{a.relative_to(root).as_posix()} -> {b.relative_to(root).as_posix()}")
            problems.append(f"import circle in {member}: " + "; ".join(ties))

    for p in problems:
        print(p)
    if problems:
        print(f"check-structure: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
