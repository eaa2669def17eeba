#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compile a YAML netlink spec into a C header for spec_test.

    spec_gen.py netlink/firehose.yaml > build/spec/spec_gen.h

spec_test runs inside the test VM, where the repository is not, so the spec
travels compiled in: the family's version, every attribute set (name, value,
type, the checks the kernel is to enforce, resolved to numbers) and every
operation (name, value, flags, do/dump, request attributes). Each name is
also emitted as the uAPI constant it stands for (FH_CMD_LISTENER_ADD), so a
name that include/uapi/firehose.h lacks fails the build, and spec_test
compares the values.

A construct this script does not understand is an error, never skipped:
spec_test must not pass on a check nobody compared.
"""
import sys

import yaml

# Attribute types spec_test can compare with a kernel policy, and the
# NL_ATTR_TYPE_* each one is dumped as ("string" depends on unterminated-ok).
TYPES = {
    'pad', 'flag', 'binary', 'bitfield32', 'u8', 'u16', 'u32', 'u64',
    's8', 's16', 's32', 's64', 'string', 'nest', 'indexed-array',
}
CHECKS = {'min', 'max', 'min-len', 'max-len', 'exact-len', 'unterminated-ok'}
OP_FLAGS = {'admin-perm', 'uns-admin-perm'}
U64_MAX = (1 << 64) - 1


def die(msg):
    sys.exit(f'spec_gen: {msg}')


def c_upper(name):
    return name.upper().replace('-', '_')


def c_str(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def limit(spec, where, v):
    """A check's value: a number, uN-max / sN-min / sN-max, or a const."""
    if isinstance(v, bool):
        die(f'{where}: {v!r} is not a limit')
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        kind, _, end = v.partition('-')
        if kind[:1] in ('u', 's') and kind[1:] in ('8', '16', '32', '64') and end in ('min', 'max'):
            bits = int(kind[1:])
            if kind[0] == 'u':
                return 0 if end == 'min' else (1 << bits) - 1
            return -(1 << (bits - 1)) if end == 'min' else (1 << (bits - 1)) - 1
        for d in spec.get('definitions', []):
            if d.get('name') == v and d.get('type') == 'const':
                return d['value']
    die(f'{where}: cannot resolve limit {v!r}')


def attr_sets(spec):
    """name -> (set dict, [(attr, value)]), values as the spec assigns them."""
    sets = {}
    for s in spec.get('attribute-sets', []):
        if 'subset-of' in s:
            parent = sets.get(s['subset-of'])
            if not parent:
                die(f"attribute set {s['name']}: subset-of unknown {s['subset-of']}")
            byname = {a['name']: (a, v) for a, v in parent[1]}
            attrs = []
            for a in s['attributes']:
                if a['name'] not in byname:
                    die(f"attribute set {s['name']}: {a['name']} not in {s['subset-of']}")
                pa, v = byname[a['name']]
                attrs.append(({**pa, **a}, v))
            sets[s['name']] = (s, attrs)
            continue
        val = 1
        attrs = []
        for a in s['attributes']:
            val = a.get('value', val)
            attrs.append((a, val))
            val += 1
        sets[s['name']] = (s, attrs)
    return sets


def main():
    if len(sys.argv) != 2:
        die('usage: spec_gen.py SPEC.yaml')
    path = sys.argv[1]
    with open(path) as f:
        spec = yaml.safe_load(f)
    if spec.get('protocol') not in ('genetlink', 'genetlink-c', 'genetlink-legacy'):
        die(f"protocol {spec.get('protocol')!r} is not generic netlink")
    if spec.get('operations', {}).get('fixed-header'):
        die('fixed headers are not supported')

    sets = attr_sets(spec)
    set_index = {name: i for i, name in enumerate(sets)}
    out = []
    p = out.append
    p(f'/* Generated from {path} by tests/selftests/spec_gen.py: do not edit. */')
    p('#ifndef SPEC_GEN_H')
    p('#define SPEC_GEN_H')
    p('')
    p(f"#define SPEC_FAMILY_NAME\t{c_str(spec['name'])}")
    p(f"#define SPEC_FAMILY_VERSION\t{int(spec.get('version', 1))}")
    p(f'#define SPEC_PATH\t\t{c_str(path)}')
    p('')

    for sname, (s, attrs) in sets.items():
        prefix = s.get('name-prefix', f"{spec['name']}-{sname}-a-")
        p(f'static const struct spec_attr spec_attrs_{c_upper(sname).lower()}[] = {{')
        for a, val in attrs:
            where = f"attribute {sname}/{a['name']}"
            t = a.get('type')
            if t not in TYPES:
                die(f'{where}: type {t!r} is not supported')
            checks = a.get('checks', {})
            for k in checks:
                if k not in CHECKS:
                    die(f'{where}: check {k!r} is not supported')
            fields = [f".name = {c_str(a['name'])}", f'.value = {val}',
                      f".uapi = {c_upper(prefix + a['name'])}", f'.type = {c_str(t)}']
            if checks.get('unterminated-ok'):
                fields.append('.unterminated_ok = true')
            if a.get('multi-attr'):
                fields.append('.multi_attr = true')
            if 'nested-attributes' in a:
                n = a['nested-attributes']
                if n not in set_index:
                    die(f'{where}: nested-attributes {n!r} is no attribute set')
                fields.append(f'.nested = {set_index[n]}')
            else:
                fields.append('.nested = -1')
            lo = {k: limit(spec, where, checks[k]) for k in ('min', 'max') if k in checks}
            ln = {k: limit(spec, where, checks[k]) for k in ('min-len', 'max-len', 'exact-len')
                  if k in checks}
            if 'exact-len' in ln:
                if 'min-len' in ln or 'max-len' in ln:
                    die(f'{where}: exact-len with min-len or max-len')
                ln['min-len'] = ln['max-len'] = ln.pop('exact-len')
            if lo and t not in ('u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64'):
                die(f'{where}: min/max on a {t}')
            if ln and t not in ('string', 'binary'):
                die(f'{where}: a length check on a {t}')
            for k, v in lo.items():
                if not -(1 << 63) <= v <= U64_MAX:
                    die(f'{where}: {k} {v} out of range')
                # Two's complement for a signed minimum: spec_test reads it back as s64.
                fields.append(f'.has_{k} = true, .{k} = ' +
                              (f'{v}ULL' if v >= 0 else f'{v & U64_MAX:#x}ULL'))
            for k, v in ln.items():
                fields.append(f".has_{k.replace('-', '_')} = true, .{k.replace('-', '_')} = {v}")
            p('\t{ ' + ', '.join(fields) + ' },')
        p('};')
        p('')

    p('static const struct spec_set spec_sets[] = {')
    for sname, (s, attrs) in sets.items():
        arr = f'spec_attrs_{c_upper(sname).lower()}'
        p(f'\t{{ .name = {c_str(sname)}, .attrs = {arr}, '
          f'.n = sizeof({arr}) / sizeof({arr}[0]) }},')
    p('};')
    p('')

    ops = spec.get('operations', {})
    prefix = ops.get('name-prefix', f"{spec['name']}-cmd-")
    val = 1
    rows = []
    for op in ops.get('list', []):
        where = f"operation {op['name']}"
        val = op.get('value', val)
        for k in ('notify', 'event', 'mcgrp'):
            if k in op:
                die(f'{where}: {k} is not supported')
        flags = op.get('flags', [])
        for fl in flags:
            if fl not in OP_FLAGS:
                die(f'{where}: flag {fl!r} is not supported')
        sname = op.get('attribute-set')
        if sname not in sets:
            die(f'{where}: attribute-set {sname!r} unknown')
        names = {a['name']: v for a, v in sets[sname][1]}
        fields = [f".name = {c_str(op['name'])}", f'.value = {val}',
                  f".uapi = {c_upper(prefix + op['name'])}", f'.set = {set_index[sname]}']
        for fl in flags:
            fields.append(f".{fl.replace('-', '_')} = true")
        for kind in ('do', 'dump'):
            if kind not in op:
                continue
            fields.append(f'.has_{kind} = true')
            req = (op[kind] or {}).get('request', {}).get('attributes', [])
            for a in req:
                if a not in names:
                    die(f'{where}: {kind} request attribute {a!r} not in {sname}')
            if req:
                arr = f"spec_req_{c_upper(op['name']).lower()}_{kind}"
                p(f'static const unsigned int {arr}[] = {{ '
                  + ', '.join(str(names[a]) for a in req) + ' };')
                fields.append(f'.{kind}_req = {arr}, .n_{kind}_req = {len(req)}')
        rows.append('\t{ ' + ', '.join(fields) + ' },')
        val += 1
    p('')
    p('static const struct spec_op spec_ops[] = {')
    out.extend(rows)
    p('};')
    p('')
    p('#endif /* SPEC_GEN_H */')
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
