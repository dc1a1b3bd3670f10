#!/usr/bin/env python3
"""Finds import circles among the files of each crate's `src` (`make lint` runs it).

A file imports another when one of its `use` declarations names a module the other file is:
`use super::x::Y`, `use crate::a::b::{c, D}`, `pub use x::Y`. Declarations at a file's top level
are read, and indented ones that start `crate::` (inside a function or an inline module, where
`super::` would mean something else: an inline test module's `use super::*` is the file itself).
A circle is a set of files each reachable from every other (a strongly connected component of
more than one file); each is printed with the imports that tie it, and the script fails.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USE = re.compile(r"^(\s*)(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.MULTILINE | re.DOTALL)


def module_of(src: Path, file: Path) -> tuple[str, ...]:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts in (["lib"], ["main"]):
        return ()
    if parts[-1] == "mod":
        parts.pop()
    return tuple(parts)


def expand(tree: str) -> list[str]:
    """`a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        return [tree]
    prefix, inner = tree[:brace], tree[brace + 1:tree.rfind("}")]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return [path for part in parts if part for path in expand(prefix + part)]


def target(here: tuple[str, ...], path: str, modules: dict) -> tuple[str, ...] | None:
    """The deepest module of this crate that `path` (seen from module `here`) names."""
    segments = path.split(" as ")[0].split("::")
    if segments[0] == "crate":
        at, rest = [], segments[1:]
    elif segments[0] in ("super", "self"):
        at = list(here)
        while segments and segments[0] in ("super", "self"):
            if segments.pop(0) == "super":
                if not at:
                    return None
                at.pop()
        rest = segments
    else:
        # A sibling module named without `self::` (2018 paths), or another crate.
        candidate = here[:-1] + (segments[0],) if here else (segments[0],)
        if candidate not in modules:
            return None
        at, rest = list(candidate), segments[1:]
    best = tuple(at) if tuple(at) in modules else None
    for segment in rest:
        at.append(segment)
        if tuple(at) in modules:
            best = tuple(at)
        else:
            break
    return best


def circles(src: Path) -> list[tuple[list[Path], list[str]]]:
    files = sorted(src.rglob("*.rs"))
    modules = {module_of(src, f): f for f in files}
    edges: dict[Path, dict[Path, set[str]]] = {f: {} for f in files}
    for file in files:
        here = module_of(src, file)
        for indent, tree in USE.findall(file.read_text()):
            tree = tree.strip()
            if indent and not tree.startswith("crate::"):
                continue
            for path in expand(tree):
                module = target(here, path, modules)
                if module is None or modules[module] == file:
                    continue
                edges[file].setdefault(modules[module], set()).add(path.split("::")[-1])
    # Tarjan's strongly connected components.
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: Path) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for file in files:
        if file not in index:
            visit(file)
    out = []
    for component in found:
        ties = [f"  {a.relative_to(ROOT)} -> {b.relative_to(ROOT)}: {', '.join(sorted(names))}"
                for a in component for b, names in sorted(edges[a].items()) if b in component]
        out.append((component, ties))
    return out


def main() -> int:
    failed = False
    for src in sorted(ROOT.glob("crates/*/src")):
        for component, ties in circles(src):
            failed = True
            print(f"import circle of {len(component)} files in {src.relative_to(ROOT)}:")
            print("\n".join(ties))
    if not failed:
        print("import-circles: no import circle in crates/*/src")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
