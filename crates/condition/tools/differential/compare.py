#!/usr/bin/env python3
"""Compare oracle.rb output with cond_json output line by line; print mismatches."""
import json, sys

cases = [json.loads(l) for l in open(sys.argv[1])]
ruby = [json.loads(l) for l in open(sys.argv[2])]
rust = [json.loads(l) for l in open(sys.argv[3])]
assert len(cases) == len(ruby) == len(rust), (len(cases), len(ruby), len(rust))

def norm(t):
    if isinstance(t, list):
        t = [norm(x) for x in t]
        if len(t) == 3 and t[0] == "call" and isinstance(t[1], str):
            t[1] = t[1].lower()
    return t

bad = 0
for c, a, b in zip(cases, ruby, rust):
    why = None
    if ("error" in a) != ("error" in b):
        why = "parse outcome"
    elif "tree" in a and norm(a["tree"]) != b["tree"]:
        why = "tree"
    elif "tree" in a and ("eval_error" in a) != ("eval_error" in b):
        why = "eval error"
    elif "result" in a and a.get("result") != b.get("result"):
        why = "result"
    elif "roundtrip_error" in b:
        why = "roundtrip"
    if why:
        bad += 1
        if bad <= 40:
            print(why, json.dumps(c, ensure_ascii=False), "\n  ruby:", json.dumps(a, ensure_ascii=False), "\n  rust:", json.dumps(b, ensure_ascii=False))
print(f"{len(cases)} cases, {bad} mismatches")
sys.exit(1 if bad else 0)
