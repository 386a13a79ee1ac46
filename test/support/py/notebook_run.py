"""Executes notebooks headless with nbclient, as CI does: a failing cell fails the run.
Usage: python notebook_run.py NOTEBOOK... (RUNWAY_URL, RUNWAY_TOKEN… from the environment).
Prints one JSON line per notebook: {"notebook", "ok", "cells", "error", "result"}; exits 1 if any failed.
"result" is the JSON a cell printed on a line starting "RESULT " (the notebook's computed numbers, which
test/e2e/notebooks.test.ts compares with Runway's API and CLI), or null.
The executed copies are not written back: committed notebooks stay without outputs."""
import json
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError



def result_of(nb):
    found = None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                for line in out.get("text", "").splitlines():
                    if line.startswith("RESULT "):
                        found = json.loads(line[len("RESULT "):])
    return found


failed = 0
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False)
    try:
        client.execute()
        print(json.dumps({"notebook": path, "ok": True, "cells": len(nb.cells), "error": None, "result": result_of(nb)}), flush=True)
    except CellExecutionError as e:
        failed += 1
        print(json.dumps({"notebook": path, "ok": False, "cells": len(nb.cells), "error": str(e)[-4000:], "result": None}), flush=True)
sys.exit(1 if failed else 0)
