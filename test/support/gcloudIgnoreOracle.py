# What gcloud itself selects, in one process (test/support/ignoreTools.ts runs it with the SDK's
# bundled Python; SDK_ROOT/lib on the path). Usage: python3 gcloudIgnoreOracle.py SDK_ROOT MODE < dirs
#   MODE snapshot: what `gcloud builds submit DIR` packs (storage_util.Snapshot, run from DIR as
#                  `gcloud builds submit .` is): its files, and its symlinks to folders
#   MODE meta:     what `gcloud meta list-files-for-upload DIR` prints (its Run(), verbatim)
# Reads one directory per line on stdin; prints one JSON line per directory: {dir, files} or {dir, error}.
import json
import os
import sys

sdk_root, mode = sys.argv[1], sys.argv[2]
sys.path[0:0] = [os.path.join(sdk_root, 'lib'), os.path.join(sdk_root, 'lib', 'third_party')]
from googlecloudsdk.api_lib.storage import storage_util  # noqa: E402
from googlecloudsdk.command_lib.util import gcloudignore  # noqa: E402

for line in sys.stdin:
    d = line.rstrip('\n')
    if not d:
        continue
    try:
        if mode == 'meta':
            chooser = gcloudignore.GetFileChooserForDir(d, write_on_disk=False) or gcloudignore.FileChooser([])
            files = sorted(f.replace(os.sep, '/') for f in chooser.GetIncludedFiles(d, include_dirs=False))
        else:
            old = os.getcwd()
            os.chdir(d)
            try:
                snap = storage_util.Snapshot(d)
            finally:
                os.chdir(old)
            # the tarball holds the files, and each symlink to a folder as a symlink
            files = sorted(list(snap.files.keys()) + [x for x in snap.dirs if os.path.islink(os.path.join(d, x))])
        print(json.dumps({'dir': d, 'files': files}), flush=True)
    except BaseException as e:  # gcloud's own errors and its crashes alike: the command would fail
        print(json.dumps({'dir': d, 'error': '%s: %s' % (type(e).__name__, str(e)[:300])}), flush=True)
