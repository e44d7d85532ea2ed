#!/usr/bin/env python3
"""Random conditions (grammar-based, tricky tokens, and mutations of the spec's
passing fixtures) with random data, as JSON lines for oracle.rb and cond_json."""
import json, random, sys

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
spec = sys.argv[3] if len(sys.argv) > 3 else None
rnd = random.Random(seed)

VARS = ["type", "repo", "head_repo", "os", "dist", "group", "sudo", "language", "sender",
        "fork", "draft", "branch", "head_branch", "tag", "commit_message", "BRANCH", "Tag"]
WORDS = ["master", "foo", "bar", "true", "false", "TRUE", "1", "0", "nothing", "ANDROID",
         "envy", "index", "island", "origin", "concatenate", "notify", "v1.0", "a-b", "$FOO",
         "present", "blank", "release/1", "x|y", "ü", "~", "-", "*", "a$b"]
REGEX = ["^foo$", "/^a b$/", "/a\\/b/", "^v[0-9]+", "'v1'", "/foo", "a)", "(a|b)", "a)/",
         "^.*$", "[z-a]", "(?i:FOO)", "^((?!skip).)*$", "\\d+", "/x/", "env(FOO)", "true",
         "false", "concat(^a, env(B))", "", ")", "a{,2}", "{x}", "\\Z", "/a\\\\/b/"]
WS = [" ", " ", " ", "  ", "\t", "\n", "\\\n", "", "\v", "\f", "\r", " \\ \n "]

def w():
    return rnd.choice(WS)

def quoted():
    q = rnd.choice(["'", '"'])
    return q + rnd.choice(WORDS + ["a b", "", "it's" if q == '"' else 'say "x"']) + q

def operand(depth=0):
    r = rnd.random()
    if r < 0.35:
        return rnd.choice(VARS)
    if r < 0.6:
        return rnd.choice(WORDS)
    if r < 0.75:
        return quoted()
    f = rnd.choice(["env", "ENV", "concat", "Concat"])
    n = rnd.choice([0, 1, 1, 1, 2, 3])
    args = [operand(depth + 1) if depth < 2 else rnd.choice(WORDS) for _ in range(n)]
    sep = rnd.choice([",", ", ", " , ", ",,"])
    tail = rnd.choice(["", "", ","])
    return f + w() + "(" + sep.join(args) + tail + ")"

def term():
    l = operand()
    r = rnd.random()
    if r < 0.3:
        return l + w() + rnd.choice(["=", "==", "!=", "= ", "!"]) + w() + operand()
    if r < 0.5:
        return l + w() + rnd.choice(["=~", "~=", "!~", "=~", "!=~"]) + w() + rnd.choice(REGEX + [operand()])
    if r < 0.65:
        items = [operand() for _ in range(rnd.choice([0, 1, 2, 3]))]
        op = rnd.choice(["IN", "in", "NOT IN", "not in", "NOT  IN", "In"])
        paren = rnd.random() < 0.9
        body = rnd.choice([",", ", ", " ,"]).join(items) + rnd.choice(["", "", ","])
        return l + w() + op + w() + ("(" + body + ")" if paren else body)
    if r < 0.8:
        op = rnd.choice(["IS", "is", "IS NOT", "is not", "Is", "IS  NOT"])
        return l + w() + op + w() + rnd.choice(["present", "blank", "true", "false", "PRESENT", "Blank", "presentation", ""])
    return l

def expr(depth=0):
    r = rnd.random()
    if depth > 3 or r < 0.4:
        return term()
    if r < 0.55:
        return rnd.choice(["NOT", "not", "!", "NOT "]) + w() + expr(depth + 1)
    if r < 0.7:
        return "(" + w() + expr(depth + 1) + w() + rnd.choice([")", ")", ")", ""])
    op = rnd.choice(["AND", "and", "&&", "OR", "or", "||", "ANDROID"])
    return expr(depth + 1) + w() + op + w() + expr(depth + 1)

def mutate(s):
    s = list(s)
    for _ in range(rnd.randint(1, 3)):
        k = rnd.randint(0, len(s))
        c = rnd.choice(list("()=!~,'\" /\\$|&\n") + ["AND ", "NOT ", "IN ", "env", "ü"])
        op = rnd.random()
        if op < 0.4:
            s.insert(k, c)
        elif op < 0.7 and s:
            del s[min(k, len(s) - 1)]
        elif s:
            s[min(k, len(s) - 1)] = c
    return "".join(s)

def data():
    d = {}
    for k in ["branch", "tag", "type", "repo", "os", "sudo", "fork", "commit_message", "sender"]:
        if rnd.random() < 0.5:
            d[k] = rnd.choice(WORDS + ["foo\nmaster\nbar", "", None])
    if "fork" in d:
        d["fork"] = rnd.choice([True, False, None])
    env = rnd.choice([{}, {"FOO": "foo", "B": "b", "foo": "\"foo\"", "PATTERN": "^f"},
                      ["FOO=foo BAR=\"bar baz\"", "B=^x"], [{"FOO": "'x'"}, {"B": "true"}]])
    d["env"] = env
    return d

fixtures = []
if spec:
    for line in open(spec):
        c = json.loads(line)
        if c["ok"]:
            fixtures.append(c["cond"])

for _ in range(count):
    if fixtures and rnd.random() < 0.3:
        cond = mutate(rnd.choice(fixtures))
    else:
        cond = expr()
    print(json.dumps({"cond": cond, "data": data()}, ensure_ascii=False))
