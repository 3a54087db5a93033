"""Runs many gcloud command lines through the real gcloud in one Python process.

The Cloud SDK's parser takes most of a second to import; run per command line, that import is
most of what a check costs. This loads the SDK once, as its own launcher (lib/gcloud.py) does,
then runs each command line as gcloud would, with stderr captured. What one command line could
leave behind for the next is reset: each gets a CLI of its own (calliope keeps per-parser state,
such as "given once" flags), the resource registry's default API versions are restored (an
alpha or beta command registers its own), stdin is empty, and the working directory is its own.
Calliope itself scopes properties, --configuration and verbosity to each run.

Usage: python gcloudBatch.py SDK_ROOT < items.jsonl > verdicts.jsonl
Each input line is {"argv": [...], "cwd": "..."}; each output line, in order, is
{"code": exit code, "stderr": what gcloud wrote to stderr}.
"""

import json
import os
import sys
import tempfile

items = [json.loads(line) for line in sys.stdin.read().splitlines() if line.strip()]
# a command that reads stdin (--flags-file=-) reads nothing, as in a process of its own
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)

sys.path.insert(0, os.path.join(sys.argv[1], "lib"))
import gcloud  # noqa: E402  the SDK's own launcher module: puts lib/ and third_party/ first

if hasattr(gcloud, "_fix_google_module"):
    gcloud._fix_google_module()
if hasattr(gcloud, "reorder_sys_path"):
    sys.path = gcloud.reorder_sys_path(sys.path)

# the verdicts go to the original stdout; whatever a command prints goes nowhere
verdicts = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)

from googlecloudsdk import gcloud_main  # noqa: E402
from googlecloudsdk.core import resources  # noqa: E402

for item in items:
    os.chdir(item["cwd"])
    registered = dict(resources.REGISTRY.registered_apis)
    cli = gcloud_main.CreateCLI([])
    captured = tempfile.TemporaryFile()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(captured.fileno(), 2)
    code = 0
    try:
        cli.Execute(item["argv"])
    except SystemExit as e:
        # as the interpreter exits: None is 0, a message is printed and is 1
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            sys.stderr.write("%s\n" % (e.code,))
            code = 1
    except BaseException as e:  # a crash is a verdict too, never the end of the batch
        sys.stderr.write("ERROR: gcloud crashed (%s): %s\n" % (type(e).__name__, e))
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        resources.REGISTRY.registered_apis = registered
    captured.seek(0)
    stderr = captured.read().decode("utf-8", "replace")
    captured.close()
    verdicts.write(json.dumps({"code": code, "stderr": stderr}) + "\n")
    verdicts.flush()
