/**
 * Helpers of the bake tests: the bake's command and config in a plan, the step environment as
 * Cloud Build makes it, and a fake `gcloud` (a bash script that logs its argv and simulates
 * Cloud Build and GCE) for running the bake script and runner without Google Cloud.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import type { BakeConfig } from "../../lib/bake/bakeConfig";
import type { Plan } from "../../lib/plan/offlinePlan";
import { find } from "./plan";

export const PROJECT = "example-lab-123456";
export const RUNTIME_REPO = `us-central1-docker.pkg.dev/${PROJECT}/fireworker/runtime`;
export const sa = (id: string) => `${id}@${PROJECT}.iam.gserviceaccount.com`;

export function bakeEnvOf(plan: Plan, parent = "fireworker"): Record<string, string> {
    return find(plan, "command:local:Command", `${parent}-bake`, parent).inputs.environment as Record<string, string>;
}

export function configOf(plan: Plan): BakeConfig {
    return parse(bakeEnvOf(plan).FW_BAKE_CONFIG) as BakeConfig;
}

/** The step's environment as Cloud Build makes it: `$$` is `$`, `${_X}` / `$X` substituted. */
export function stepEnvironment(
    config: BakeConfig,
    overrides: Record<string, string> = {},
    buildId = "0f3c2a1b-7d4e-4b8a-9c1d-2e3f4a5b6c7d",
): Record<string, string> {
    const values: Record<string, string> = { ...config.substitutions, ...overrides, BUILD_ID: buildId };
    const env: Record<string, string> = {};
    for (const entry of config.steps[0].env) {
        const i = entry.indexOf("=");
        env[entry.slice(0, i)] = entry
            .slice(i + 1)
            .replace(/\$\$|\$\{(\w+)\}|\$(\w+)/g, (m, a?: string, b?: string) =>
                m === "$$" ? "$" : (values[(a ?? b)!] ?? ""),
            );
    }
    return env;
}

// (no "${" below: it is a template literal)
export const FAKE_GCLOUD = String.raw`#!/usr/bin/env bash
# fake gcloud: logs argv (one line a call) to $FAKE_STATE/calls.log and simulates GCE.
state="$FAKE_STATE"
printf '%s\n' "$*" >>"$state/calls.log"
# the exact argv too (unit separator between arguments, record separator after each call)
{ printf '%s\037' "$@"; printf '\036'; } >>"$state/argv.log"
name="$4"
count() { n="$(cat "$state/count-$1" 2>/dev/null || echo 0)"; echo $((n + 1)) >"$state/count-$1"; echo "$n"; }
not_found() {
    echo "ERROR: (gcloud.$1) Could not fetch resource: - The resource '$2' was not found" >&2
    exit 1
}
case "$1 $2" in
"builds submit")
    if [ "$(count submit)" -lt "$((FAKE_DENY_SUBMIT + 0))" ]; then
        echo "ERROR: (gcloud.builds.submit) PERMISSION_DENIED: caller does not have permission to act as service account" >&2
        exit 1
    fi
    for a in "$@"; do
        case "$a" in --config=*) cp "$(printf '%s' "$a" | cut -d= -f2-)" "$state/submitted.yaml" ;; esac
    done
    echo "build-0001"
    exit 0
    ;;
"builds describe")
    if [ -n "$FAKE_BUILD_STATUS" ]; then echo "$FAKE_BUILD_STATUS"; else echo SUCCESS; fi
    exit 0
    ;;
"builds log")
    # FAKE_LOG_LINES long lines first (a bake's log can be megabytes)
    if [ -n "$FAKE_LOG_LINES" ]; then
        line="Step #0 - bake: $(printf '%0400d' 0)"
        for _ in $(seq "$FAKE_LOG_LINES"); do printf '%s\n' "$line"; done
    fi
    echo "Step #0 - bake: fireworker-bake: FAILED: preload failed"
    exit 0
    ;;
"artifacts docker")
    # what the registry says the runtime's tag names (default: the digest given)
    if [ -n "$FAKE_TAG_DIGEST" ]; then echo "$FAKE_TAG_DIGEST"; else printf '%s\n' "$FW_RUNTIME_REF" | sed 's/.*@//'; fi
    exit 0
    ;;
esac
case "$1 $2 $3" in
"compute images describe")
    if [ -f "$state/image-$name" ]; then
        # a new image is PENDING for FAKE_PENDING describes
        if [ "$(count "pending-$name")" -lt "$((FAKE_PENDING + 0))" ]; then echo PENDING; else echo READY; fi
        exit 0
    fi
    if [ -n "$FAKE_CONCURRENT_IMAGE" ] && [ "$FAKE_CONCURRENT_IMAGE" = "$name" ]; then
        n="$(cat "$state/concurrent-count" 2>/dev/null || echo 0)"
        echo $((n + 1)) >"$state/concurrent-count"
        if [ "$n" -ge 1 ]; then echo READY; exit 0; fi
    fi
    not_found compute.images.describe "$name"
    ;;
"compute images describe-from-family") printf 'debian-12-bookworm-v20250610\t10\n' ;;
"compute images create")
    if [ "$FAKE_IMAGE_CREATE" = fail ]; then
        echo "ERROR: (gcloud.compute.images.create) Quota 'IMAGES' exceeded" >&2
        exit 1
    fi
    touch "$state/image-$name"
    ;;
"compute images list")
    for f in "$state"/image-*; do
        if [ -e "$f" ]; then printf '%s,,,fireworker-images\n' "$(basename "$f" | sed 's/^image-//')"; fi
    done
    cat "$state/family.txt" 2>/dev/null || true
    ;;
"compute images deprecate" | "compute images delete") ;;
"compute instances list")
    case "$*" in
    *creationTimestamp,name*)
        # the election: live builders of the image, ours now, and FAKE_OLDER_BUILDER a minute earlier
        for f in "$state"/instance-*; do
            if [ -e "$f" ]; then printf '%s,%s,us-central1-b\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000-00:00)" "$(basename "$f" | sed 's/^instance-//')"; fi
        done
        if [ -n "$FAKE_OLDER_BUILDER" ]; then printf '%s,%s,us-central1-b\n' "$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%S.000-00:00)" "$FAKE_OLDER_BUILDER"; fi
        ;;
    *) cat "$state/builders.txt" 2>/dev/null || true ;;
    esac
    ;;
"compute instances create")
    if [ "$(count create)" -lt "$((FAKE_DENY_CREATE + 0))" ]; then
        echo "ERROR: (gcloud.compute.instances.create) Could not fetch resource: - Required 'compute.instances.create' permission for 'projects/p/zones/z/instances/$name'" >&2
        exit 1
    fi
    touch "$state/instance-$name"
    printf '%s\n' "$@" >"$state/create-args"
    ;;
"compute instances describe")
    if [ -f "$state/instance-$name" ]; then echo RUNNING; exit 0; fi
    if [ -n "$FAKE_CONCURRENT_BUILDER" ] && [ "$FAKE_CONCURRENT_BUILDER" = "$name" ]; then echo RUNNING; exit 0; fi
    not_found compute.instances.describe "$name"
    ;;
"compute instances get-guest-attributes")
    case "$FAKE_GUEST" in
    "" | ok) printf 'status\tok\n' ;;
    failed) printf 'reason\tpull failed: %s\nstatus\tfailed\n' "runtime@sha256:abc" ;;
    serial-ok | serial-failed)
        # the VM powered off: no guest attributes, only the serial console
        echo "ERROR: (gcloud.compute.instances.get-guest-attributes) The instance is not running" >&2
        exit 1
        ;;
    *)
        echo "ERROR: (gcloud.compute.instances.get-guest-attributes) The resource was not found" >&2
        exit 1
        ;;
    esac
    ;;
"compute instances get-serial-port-output")
    case "$FAKE_GUEST" in
    serial-ok) printf 'Booting Debian\r\nfireworker-preload: preloaded\r\nFIREWORKER-PRELOAD: ok\r\n' ;;
    none) printf 'Booting Debian\nfireworker-preload: pulling runtime\n' ;;
    *) printf 'Booting Debian\nfireworker-preload: pulling runtime\nFIREWORKER-PRELOAD: failed: pull failed\n' ;;
    esac
    ;;
"compute instances stop") ;;
"compute instances delete")
    if [ -f "$state/instance-$name" ]; then rm -f "$state/instance-$name"; exit 0; fi
    if grep -q "^$name," "$state/builders.txt" 2>/dev/null; then exit 0; fi
    not_found compute.instances.delete "$name"
    ;;
*)
    echo "fake gcloud: unexpected call: $*" >&2
    exit 2
    ;;
esac
`;

/** Every gcloud argv the fake saw, exactly (test/support/gcloudCheck.ts parses them with the real gcloud). */
export function fakeArgv(state: string): string[][] {
    const file = path.join(state, "argv.log");
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
        .split("\x1e")
        .filter(Boolean)
        .map((call) => call.split("\x1f").slice(0, -1));
}

/** A folder holding the fake `gcloud`, to put first on PATH. */
export function fakeGcloudBin(): string {
    const bin = mkdtempSync(path.join(os.tmpdir(), "fw-fake-gcloud-"));
    writeFileSync(path.join(bin, "gcloud"), FAKE_GCLOUD);
    chmodSync(path.join(bin, "gcloud"), 0o755);
    return bin;
}
