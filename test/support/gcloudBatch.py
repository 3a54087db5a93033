"""Runs many gcloud command lines through the real gcloud in one Python process.

The Cloud SDK's parser takes most of a second to import; run per command line, that import is
most of what a check costs. This loads the SDK once, as its own launcher (lib/gcloud.py) does,
then gives each command line a CLI of its own (calliope keeps per-parser state, such as "given
once" flags, between runs of one CLI) and runs it as gcloud would, with stderr captured.

Usage: python3 gcloudBatch.py SDK_ROOT < items.jsonl > verdicts.jsonl
Each input line is {"argv": [...], "cwd": "..."}; each output line, in order, is
{"code": exit code, "stderr": what gcloud wrote to stderr}.
"""

import json
import os
import sys
import tempfile

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

for line in sys.stdin:
    item = json.loads(line)
    os.chdir(item.get("cwd") or "/")
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
        code = e.code if isinstance(e.code, int) else 1
    except BaseException as e:  # a crash is a verdict too, never the end of the batch
        sys.stderr.write("gcloud crashed: %r\n" % (e,))
        code = 255
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
    captured.seek(0)
    stderr = captured.read().decode("utf-8", "replace")
    captured.close()
    verdicts.write(json.dumps({"code": code, "stderr": stderr}) + "\n")
    verdicts.flush()
