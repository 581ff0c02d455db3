#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Include cycles between hv's source modules: a module is a file name
# without .c/.h under src/ (engine/qmp is qmp.c and qmp.h); A depends on B
# when A.c or A.h includes B.h.  Prints each cycle (a strongly connected
# set of modules) on a line; exits 1 when there is one.
# usage: scripts/include-cycles.py [SRCDIR]
import collections
import glob
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "src"
deps = collections.defaultdict(set)
for path in glob.glob(os.path.join(src, "**", "*.[ch]"), recursive=True):
    mod = os.path.relpath(path, src)[:-2]
    with open(path, encoding="utf-8") as f:
        for inc in re.findall(r'^#include "([^"]+)\.h"', f.read(), re.M):
            if inc != mod:
                deps[mod].add(inc)

# Tarjan's strongly connected components, iteratively
index, low, on, stack, cycles = {}, {}, set(), [], []
for root in sorted(deps):
    if root in index:
        continue
    work = [(root, iter(sorted(deps[root])))]
    index[root] = low[root] = len(index)
    stack.append(root)
    on.add(root)
    while work:
        v, it = work[-1]
        for w in it:
            if w not in index:
                index[w] = low[w] = len(index)
                stack.append(w)
                on.add(w)
                work.append((w, iter(sorted(deps.get(w, ())))))
                break
            if w in on:
                low[v] = min(low[v], index[w])
        else:
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    cycles.append(sorted(comp))
for c in cycles:
    print("include cycle: " + " <-> ".join(c))
sys.exit(1 if cycles else 0)
