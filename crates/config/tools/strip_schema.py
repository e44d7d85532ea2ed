#!/usr/bin/env python3
"""Produce crates/config/schema/travis-yml-schema.json from travis-yml's published schema.json.

Keeps only the machine-readable facts the decoder interprets (types, keys, aliases, enums,
prefixes, defaults, flags, deprecations, only/except support rules, formats) and drops all
documentation fields. Usage: strip_schema.py path/to/travis-yml/schema.json > out.json
"""
import json
import sys

DROP = {"title", "description", "summary", "see", "example", "$id", "$schema"}


def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in DROP or not isinstance(v, (str, dict))}
    if isinstance(x, list):
        return [strip(i) for i in x]
    return x


s = json.load(open(sys.argv[1]))
out = strip(s)
json.dump(out, sys.stdout, separators=(",", ":"), sort_keys=False)
