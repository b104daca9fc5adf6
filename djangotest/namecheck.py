"""Check that the modules of djintegrity examples, with a suggestion applied,
import under real Django and name no global that is not defined.

Started by the Go test TestSuggestionsLeaveNoNameError as
/usr/bin/python3 namecheck.py, it reads one JSON list on stdin:

    [{"id": n, "tree": dir, "modules": ["shop.views", ...],
      "installed_apps": [...]}, ...]

and writes one JSON line per entry on stdout:

    {"id": n, "error": text} or {"id": n, "undefined": {"shop.views": [name, ...]}}

Each tree is one example's head tree (this repository's examples only) with
one finding's suggestion and the imports it names applied, as a developer
who commits the suggestion would. A NameError in a function body shows only
when that code runs, and a proof runs only one path: so every name a
function loads as a global (LOAD_GLOBAL) must be a global of its module or a
builtin. The trees are checked one after the other, each in a child process
of its own, since Django can be configured once per process.
"""

import builtins
import dis
import importlib
import json
import os
import sys
import traceback
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import driver  # noqa: E402  (the example's settings, as the proofs have them)


def undefined_globals(module):
    """Names the module's functions load as globals that it does not define."""
    with open(module.__file__, encoding="utf-8") as f:
        code = compile(f.read(), module.__file__, "exec")
    names = set()

    def walk(co, top):
        if not top:
            for ins in dis.get_instructions(co):
                if ins.opname == "LOAD_GLOBAL":
                    names.add(ins.argval)
        for const in co.co_consts:
            if isinstance(const, types.CodeType):
                walk(const, False)

    walk(code, True)
    return sorted(n for n in names if n not in vars(module) and not hasattr(builtins, n))


def check(entry):
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    driver.configure(entry["tree"], entry.get("installed_apps") or [], database)
    out = {}
    for name in entry["modules"]:
        missing = undefined_globals(importlib.import_module(name))
        if missing:
            out[name] = missing
    return {"id": entry["id"], "undefined": out}


def main():
    for entry in json.load(sys.stdin):
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                result = check(entry)
            except BaseException:
                result = {"id": entry["id"], "error": traceback.format_exc(limit=8)}
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()
            os._exit(0)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
