#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# includes.sh [-g] [DIR]: the graph of #include "..." among DIR/*.c and
# DIR/*.h (default: kmod/ of this tree) must have no circle. A .c file and
# the .h of the same name are one unit (conn.c + conn.h = conn); an include
# of a file not in DIR, or of a unit's own header, is no edge. On a circle
# it prints one, with the include lines that make it, and exits 1; else it
# prints "no circle (N units)". -g also prints the graph, unit -> units.
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def unit(name):
    return os.path.splitext(name)[0]


def graph(d):
    files = sorted(f for f in os.listdir(d) if f.endswith(('.c', '.h')))
    names = set(files)
    units = {unit(f): {} for f in files}
    for f in files:
        with open(os.path.join(d, f), errors='replace') as fp:
            for n, line in enumerate(fp, 1):
                m = INCLUDE.match(line)
                if not m or m.group(1) not in names:
                    continue
                to = unit(m.group(1))
                if to != unit(f):
                    units[unit(f)].setdefault(to, f'{f}:{n}: {line.strip()}')
    return units


def circle(units):
    """One circle as a list of units, first repeated last; None if none."""
    state, stack = {}, []

    def visit(u):
        state[u] = 'open'
        stack.append(u)
        for v in sorted(units[u]):
            if state.get(v) == 'open':
                return stack[stack.index(v):] + [v]
            if v not in state:
                c = visit(v)
                if c:
                    return c
        stack.pop()
        state[u] = 'done'
        return None

    for u in sorted(units):
        if u not in state:
            c = visit(u)
            if c:
                return c
    return None


def main(argv):
    show = '-g' in argv
    args = [a for a in argv if a != '-g']
    top = os.path.dirname(os.path.abspath(__file__))
    d = args[0] if args else os.path.join(top, '..', '..', 'kmod')
    if not os.path.isdir(d):
        print(f'includes: {d}: not a directory', file=sys.stderr)
        return 2
    units = graph(d)
    if show:
        for u in sorted(units):
            print(f"{u} -> {' '.join(sorted(units[u])) or '-'}")
    c = circle(units)
    if c:
        print(f"includes: circle: {' -> '.join(c)}", file=sys.stderr)
        for a, b in zip(c, c[1:]):
            print(f'  {units[a][b]}', file=sys.stderr)
        return 1
    print(f'includes: no circle ({len(units)} units)')
    return 0


sys.exit(main(sys.argv[1:]))
