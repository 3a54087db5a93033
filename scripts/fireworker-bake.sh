#!/usr/bin/env bash
# fireworker-bake.sh: bakes one Fireworker disk image. It is the single step of the bake Cloud
# Build job (lib/bake.ts embeds this text in the rendered config), so the bake runs server-side:
# a killed `pulumi up` neither stops it nor leaks anything.
#
# What it does, in order:
#   1. works out the runtime line REPOSITORY:TAG@sha256:DIGEST and the image name
#      <family>-<16 hex of sha256("<recipe>\n<line>\n")> (lib/bake.ts computes the same name);
#   2. checks the runtime: its tag must be a content tag that the registry says names exactly
#      the given digest (a re-bake ignores any other message on the gcr topic, with exit 0;
#      Pulumi's own bake fails);
#   3. exits 0 when that image exists and is READY, waiting while it is PENDING (baking twice
#      makes one image);
#   4. deletes builders of this family left over by killed bakes (older than FW_STALE_AFTER), and
#      waits instead of baking when a live builder of another bake is making the same image;
#   5. creates the builder VM (the fireworker service account, pull-only; shielded VM; no
#      project SSH keys; guest attributes on; --max-run-duration with
#      --instance-termination-action=DELETE so it cannot outlive a dead build), whose startup
#      script is fireworker-preload.sh; then, of live builders of the same image, the oldest
#      goes on: a younger one (bakes started at once) deletes itself and waits for that image;
#   6. polls the guest attribute fireworker/status, and the serial console's FIREWORKER-PRELOAD
#      line (attributes of a powered-off VM are not documented to stay readable), until ok,
#      failed or FW_WAIT_TIMEOUT; on failed or timeout prints the tail of the serial console and fails;
#   7. stops the builder, creates the image from its disk (family, labels, description), waits
#      until it is READY, deletes the builder;
#   8. deprecates the family's images beyond FW_KEEP (replacement: the new image) and deletes
#      this program's images beyond FW_DELETE_BEYOND or past their deprecation's delete date.
# Permission errors are retried for FW_IAM_SETTLE_SECONDS: the first bake of a fresh project runs
# minutes after its grants were made, and IAM takes that long to propagate.
# Cloud Build has no finally-step: `trap cleanup EXIT` deletes the builder on every path, failure
# and SIGTERM/SIGINT included (idempotent, --quiet). If the build itself is killed (its timeout),
# the builder's max run duration deletes it, and the next bake sweeps what remains (step 3).
#
# Output: progress on stderr; the last stdout line is "FIREWORKER-BAKE: baked IMAGE" or
# "FIREWORKER-BAKE: exists IMAGE". Exit status 0 when the image exists at the end.
#
# Parameters (environment):
#   FW_PROJECT               project of the builder VM and the image (required)
#   FW_ZONE                  zone of the builder VM (required)
#   FW_FAMILY                image family (required)
#   FW_RECIPE                64 hex: sha256 of everything but the runtime that shapes the image
#                            (lib/bake.ts; required)
#   FW_RUNTIME_REF           the runtime by digest, REPOSITORY@sha256:DIGEST (required)
#   FW_RUNTIME_TAG           what workers pull, REPOSITORY:TAG, same repository (required)
#   FW_REGISTRY_HOST         registry the builder logs in to, e.g. us-central1-docker.pkg.dev
#                            (required)
#   FW_SERVICE_ACCOUNT       email the builder VM runs as (pull-only) (required)
#   FW_PRELOAD_B64           base64 of fireworker-preload.sh, the builder's startup script
#                            (required)
#   FW_WORKER_USERS          space-separated users that get the Docker config (default none)
#   FW_SOURCE_IMAGE_FAMILY   (default debian-12)      FW_SOURCE_IMAGE_PROJECT (default debian-cloud)
#   FW_MACHINE_TYPE          (default e2-standard-2)  FW_DISK_SIZE_GB (default 20)
#   FW_NETWORK               (default default)        FW_SUBNETWORK (default none)
#   FW_INTERNAL_IP_ONLY      true: no external IP (needs Cloud NAT: apt reaches Debian's mirrors)
#                            (default false)
#   FW_KEEP                  newest images of the family left active (default 2)
#   FW_DELETE_BEYOND         this program's images ranked beyond it are deleted (default KEEP+3)
#   FW_DELETE_AFTER_DAYS     deprecation marks a delete date this many days ahead; once past, the
#                            image is deleted (default 30)
#   FW_WAIT_TIMEOUT          seconds to wait for the guest's status (default 1800)
#   FW_MAX_RUN_DURATION      seconds the builder VM may run before GCE deletes it (default 2400)
#   FW_STALE_AFTER           seconds after which a builder of this family is left over (default
#                            2 * FW_MAX_RUN_DURATION)
#   FW_POLL_INTERVAL         seconds between polls (default 15)
#   FW_RETRY_DELAY           seconds between attempts to delete the builder (default 5)
#   FW_SERIAL_LINES          serial console lines shown on failure (default 80)
#   FW_BUILD_ID              Cloud Build id, for names, labels and the description (default none)
#   FW_TRIGGER_ACTION        set by the re-bake trigger (the push message's action): a runtime
#                            that fails the check is then ignored (exit 0), not an error
#   FW_IAM_SETTLE_SECONDS    seconds a permission error is retried for (default 420)
set -euo pipefail
export CLOUDSDK_CORE_DISABLE_PROMPTS=1

project="${FW_PROJECT:-}"
zone="${FW_ZONE:-}"
family="${FW_FAMILY:-}"
recipe="${FW_RECIPE:-}"
runtime_ref="${FW_RUNTIME_REF:-}"
runtime_tag="${FW_RUNTIME_TAG:-}"
registry_host="${FW_REGISTRY_HOST:-}"
service_account="${FW_SERVICE_ACCOUNT:-}"
worker_users="${FW_WORKER_USERS:-}"
source_family="${FW_SOURCE_IMAGE_FAMILY:-debian-12}"
source_project="${FW_SOURCE_IMAGE_PROJECT:-debian-cloud}"
machine_type="${FW_MACHINE_TYPE:-e2-standard-2}"
disk_size_gb="${FW_DISK_SIZE_GB:-20}"
network="${FW_NETWORK:-default}"
subnetwork="${FW_SUBNETWORK:-}"
internal_ip_only="${FW_INTERNAL_IP_ONLY:-false}"
keep="${FW_KEEP:-2}"
delete_beyond="${FW_DELETE_BEYOND:-}"
delete_after_days="${FW_DELETE_AFTER_DAYS:-30}"
wait_timeout="${FW_WAIT_TIMEOUT:-1800}"
max_run_duration="${FW_MAX_RUN_DURATION:-2400}"
stale_after="${FW_STALE_AFTER:-}"
poll_interval="${FW_POLL_INTERVAL:-15}"
retry_delay="${FW_RETRY_DELAY:-5}"
serial_lines="${FW_SERIAL_LINES:-80}"
build_id="${FW_BUILD_ID:-}"
trigger_action="${FW_TRIGGER_ACTION:-}"
iam_settle="${FW_IAM_SETTLE_SECONDS:-420}"
settle_until=0    # permission errors are retried until then (epoch seconds)

builder=""         # the builder VM's name, set before it is created
builder_gone=0     # 1 once the builder is deleted (or never existed)
work_dir=""        # temporary files: startup script and metadata values
image=""           # the image this bake makes
line=""            # REPOSITORY:TAG@sha256:DIGEST
concurrent=""      # a live builder of another bake of the same image

log() {
    printf 'fireworker-bake: %s\n' "$*" >&2
}

die() {
    log "FAILED: $*"
    exit 1
}

# What a missing grant looks like in gcloud's errors.
permission_re='PERMISSION_DENIED|Required .* permission|[Pp]ermission .* denied|does not have .*(permission|access)|\b403\b|forbidden'

# gcloud with the project; every call goes through here. A permission error is retried until
# settle_until (new grants propagate for minutes); stderr is passed on once the call is done.
gc() {
    local rc errf
    errf="$(mktemp)"
    while :; do
        rc=0
        gcloud "$@" --project="$project" 2>"$errf" || rc=$?
        if [ "$rc" -eq 0 ] || ! grep -Eq "$permission_re" "$errf" || [ "$(date -u +%s)" -ge "$settle_until" ]; then
            cat "$errf" >&2
            rm -f "$errf"
            return "$rc"
        fi
        log "permission denied on gcloud $1 $2 $3 ($(tr '\n' ' ' <"$errf" | cut -c1-200)); grants may still be propagating, retrying"
        sleep "$retry_delay"
    done
}

# A GCE label value: lowercase letters, digits, _ and -, at most 63 characters.
label_value() {
    printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_-' '-' | cut -c1-63
}

is_not_found() {
    case "$1" in
    *"was not found"* | *notFound* | *"not found"* | *NOT_FOUND*) return 0 ;;
    esac
    return 1
}

# delete_builder: idempotent; succeeds when the builder is gone.
delete_builder() {
    local attempt out
    for attempt in 1 2 3; do
        if out="$(gc compute instances delete "$builder" --zone="$zone" --delete-disks=all --quiet 2>&1)"; then
            builder_gone=1
            log "deleted builder $builder"
            return 0
        fi
        if is_not_found "$out"; then
            builder_gone=1
            log "builder $builder is already gone"
            return 0
        fi
        log "could not delete builder $builder (attempt $attempt): $out"
        sleep "$retry_delay"
    done
    log "builder $builder may remain; GCE deletes it after its max run duration (${max_run_duration}s) and the next bake sweeps it"
    return 1
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    set +e
    if [ -n "$builder" ] && [ "$builder_gone" = 0 ]; then
        log "cleaning up: deleting builder $builder"
        delete_builder
    fi
    if [ -n "$work_dir" ]; then
        rm -rf -- "$work_dir"
    fi
    if [ "$rc" -ne 0 ]; then
        log "bake of ${image:-the image} failed (exit $rc)"
    fi
    exit "$rc"
}

validate() {
    local name
    for name in project zone family recipe runtime_ref runtime_tag registry_host service_account; do
        [ -n "${!name}" ] || die "FW_$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]') is not set"
    done
    [ -n "${FW_PRELOAD_B64:-}" ] || die "FW_PRELOAD_B64 is not set"
    [[ "$recipe" =~ ^[0-9a-f]{64}$ ]] || die "FW_RECIPE is not 64 hex digits: $recipe"
    [[ "$family" =~ ^[a-z]([-a-z0-9]{0,44}[a-z0-9])?$ ]] || die "FW_FAMILY is not a family name of at most 46 characters: $family"
    [[ "$zone" =~ ^[a-z]+-[a-z]+[0-9]+-[a-z]$ ]] || die "FW_ZONE is not a zone: $zone"
    local n
    for n in keep disk_size_gb delete_after_days wait_timeout max_run_duration serial_lines; do
        [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || die "FW_$(printf '%s' "$n" | tr '[:lower:]' '[:upper:]') is not a positive whole number: ${!n}"
    done
    [[ "$poll_interval" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "FW_POLL_INTERVAL is not a number of seconds: $poll_interval"
    [[ "$retry_delay" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "FW_RETRY_DELAY is not a number of seconds: $retry_delay"
    delete_beyond="${delete_beyond:-$((keep + 3))}"
    stale_after="${stale_after:-$((2 * max_run_duration))}"
    if ! [[ "$delete_beyond" =~ ^[1-9][0-9]*$ ]] || [ "$delete_beyond" -lt "$keep" ]; then
        die "FW_DELETE_BEYOND must be a whole number not below FW_KEEP: $delete_beyond"
    fi
    [[ "$stale_after" =~ ^[1-9][0-9]*$ ]] || die "FW_STALE_AFTER is not a positive whole number: $stale_after"
    [[ "$iam_settle" =~ ^[0-9]+$ ]] || die "FW_IAM_SETTLE_SECONDS is not a whole number: $iam_settle"
    settle_until=$(($(date -u +%s) + iam_settle))
    case "$internal_ip_only" in
    true | false) ;;
    *) die "FW_INTERNAL_IP_ONLY is not true or false: $internal_ip_only" ;;
    esac
    local user
    for user in $worker_users; do
        [[ "$user" =~ ^[a-z_][a-z0-9_-]*$ ]] || die "FW_WORKER_USERS has a bad user name: $user"
    done
}

# Sets line from FW_RUNTIME_TAG and FW_RUNTIME_REF (Artifact Registry's push message gives both).
runtime_line() {
    local ref_repo digest tag_repo tag_name
    ref_repo="${runtime_ref%@*}"
    digest="${runtime_ref##*@}"
    tag_repo="${runtime_tag%:*}"
    tag_name="${runtime_tag##*:}"
    if [ "$ref_repo" = "$runtime_ref" ] || ! [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then
        die "FW_RUNTIME_REF is not REPOSITORY@sha256:DIGEST: $runtime_ref"
    fi
    if [ "$tag_repo" = "$runtime_tag" ] || ! [[ "$tag_name" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
        ! [[ "$tag_repo" =~ ^[a-z0-9]([a-zA-Z0-9._:-]*[a-zA-Z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)+$ ]]; then
        die "FW_RUNTIME_TAG is not REPOSITORY:TAG: $runtime_tag"
    fi
    [ "$ref_repo" = "$tag_repo" ] || die "FW_RUNTIME_TAG ($runtime_tag) and FW_RUNTIME_REF ($runtime_ref) name different repositories"
    [ "${tag_repo%%/*}" = "$registry_host" ] || die "the runtime $tag_repo is not in FW_REGISTRY_HOST $registry_host"
    line="$runtime_tag@$digest"
}

# The runtime must be what the registry says: a content tag (20 hex) that names exactly the
# digest. A message on the gcr topic can come from anyone who may publish there, or name an
# untagged digest: the re-bake ignores it (exit 0); Pulumi's own bake fails.
check_runtime() {
    local tag_name digest registered why=""
    tag_name="${runtime_tag##*:}"
    digest="${runtime_ref##*@}"
    if ! [[ "$tag_name" =~ ^[0-9a-f]{20}$ ]]; then
        why="$runtime_tag is not a content tag"
    else
        registered="$(gc artifacts docker images describe "$runtime_tag" --format='value(image_summary.digest)' 2>/dev/null || true)"
        if [ "$registered" != "$digest" ]; then
            why="the registry says $runtime_tag is ${registered:-nothing}, not $digest"
        fi
    fi
    [ -n "$why" ] || return 0
    if [ -n "$trigger_action" ]; then
        log "not baking: $why"
        printf 'FIREWORKER-BAKE: ignored %s\n' "$runtime_tag"
        exit 0
    fi
    die "$why"
}

# image_status NAME: prints READY, PENDING, FAILED, ... or nothing when there is no such image.
image_status() {
    gc compute images describe "$1" --format='value(status)' 2>/dev/null || true
}

# 0 when the image is READY, waiting (up to FW_WAIT_TIMEOUT) while another bake's is PENDING;
# 1 when there is none (a FAILED one is deleted first).
image_exists() {
    local status deadline
    deadline=$(($(date -u +%s) + wait_timeout))
    while :; do
        status="$(image_status "$1")"
        case "$status" in
        READY) return 0 ;;
        "") return 1 ;;
        FAILED)
            log "image $1 exists but FAILED; deleting it"
            gc compute images delete "$1" --quiet >&2 || die "could not delete the failed image $1"
            return 1
            ;;
        esac
        [ "$(date -u +%s)" -lt "$deadline" ] || die "image $1 stayed $status for ${wait_timeout}s"
        log "image $1 is $status; waiting until it is READY"
        sleep "$poll_interval"
    done
}

epoch_of() {
    date -u -d "$1" +%s 2>/dev/null
}

# Deletes this family's builders older than FW_STALE_AFTER (left by killed bakes); notes a live
# builder of the same image in $concurrent.
sweep_builders() {
    local list name bzone created target now ts
    list="$(gc compute instances list \
        --filter="labels.fireworker-role=builder AND labels.fireworker-family=$family" \
        --format='csv[no-heading](name,zone.basename(),creationTimestamp,labels.fireworker-image)')" || {
        log "could not list builders (ignored)"
        return 0
    }
    now="$(date -u +%s)"
    # CSV: a comma is not IFS whitespace, so empty fields keep their place
    while IFS=, read -r name bzone created target; do
        [ -n "$name" ] || continue
        ts="$(epoch_of "$created")" || continue
        if [ $((now - ts)) -gt "$stale_after" ]; then
            log "deleting left-over builder $name ($bzone, created $created)"
            gc compute instances delete "$name" --zone="$bzone" --delete-disks=all --quiet >&2 ||
                log "could not delete left-over builder $name (ignored)"
        elif [ "$target" = "$image" ]; then
            concurrent="$name"
        fi
    done <<<"$list"
}

# 0 when another bake made the image meanwhile; 1 when this bake has to make it.
wait_for_concurrent_bake() {
    local deadline
    [ -n "$concurrent" ] || return 1
    log "builder $concurrent of another bake is making $image; waiting for it"
    deadline=$(($(date -u +%s) + wait_timeout))
    while [ "$(date -u +%s)" -lt "$deadline" ]; do
        if image_exists "$image"; then
            return 0
        fi
        if [ -z "$(gc compute instances describe "$concurrent" --zone="$zone" --format='value(status)' 2>/dev/null || true)" ]; then
            image_exists "$image" && return 0
            log "builder $concurrent is gone and $image was not made; baking it here"
            return 1
        fi
        sleep "$poll_interval"
    done
    log "gave up waiting for $concurrent; baking $image here"
    return 1
}

# Of the live builders of this image, the oldest (creation time, then name) makes it: bakes
# that started at once all see each other once each has created its builder. 1 when another
# is older: ours is deleted and $concurrent names the other.
elect_builder() {
    local list now winner created name bzone ts
    list="$(gc compute instances list --filter="labels.fireworker-image=$image" \
        --format='csv[no-heading](creationTimestamp,name,zone.basename())' 2>/dev/null)" || return 0
    now="$(date -u +%s)"
    winner="$(while IFS=, read -r created name bzone; do
        [ -n "$name" ] || continue
        ts="$(epoch_of "$created")" || continue
        [ $((now - ts)) -le "$stale_after" ] || continue
        printf '%s %s %s\n' "$ts" "$name" "$bzone"
    done <<<"$list" | sort -k1,1n -k2,2 | head -n 1)"
    name="${winner#* }"
    name="${name%% *}"
    if [ -z "$winner" ] || [ "$name" = "$builder" ]; then
        return 0
    fi
    log "builder $name of another bake started $image first; deleting $builder and waiting for it"
    delete_builder || true
    concurrent="$name"
    return 1
}

# The preload's last FIREWORKER-PRELOAD line on the serial console, or nothing.
serial_signal() {
    gc compute instances get-serial-port-output "$builder" --zone="$zone" --port=1 2>/dev/null |
        tr -d '\r' | grep -ao 'FIREWORKER-PRELOAD: .*' | tail -n 1 || true
}

serial_tail() {
    log "last $serial_lines lines of the serial console of $builder:"
    gc compute instances get-serial-port-output "$builder" --zone="$zone" --port=1 2>/dev/null |
        tail -n "$serial_lines" >&2 || log "(serial console unavailable)"
}

# value of KEY in "key<TAB>value" lines
attribute() {
    printf '%s\n' "$2" | awk -F '\t' -v k="$1" '$1 == k { sub(/^[^\t]*\t/, ""); print; exit }'
}

wait_for_guest() {
    local deadline out status reason
    deadline=$(($(date -u +%s) + wait_timeout))
    log "waiting up to ${wait_timeout}s for the guest attribute fireworker/status of $builder"
    while :; do
        status=""
        if out="$(gc compute instances get-guest-attributes "$builder" --zone="$zone" \
            --query-path=fireworker/ --format='value(key,value)' 2>/dev/null)"; then
            status="$(attribute status "$out")"
            reason="$(attribute reason "$out")"
            case "$status" in
            ok)
                log "preload finished on $builder"
                return 0
                ;;
            failed)
                serial_tail
                die "preload failed on $builder: ${reason:-no reason given}"
                ;;
            esac
        fi
        if [ -z "${status:-}" ]; then
            # the VM powers off at once: its guest attributes may be gone; the serial line stays
            case "$(serial_signal)" in
            "FIREWORKER-PRELOAD: ok")
                log "preload finished on $builder (serial console)"
                return 0
                ;;
            "FIREWORKER-PRELOAD: failed: "*)
                serial_tail
                die "preload failed on $builder: $(serial_signal | sed 's/^FIREWORKER-PRELOAD: failed: //')"
                ;;
            esac
            if [ -z "$(gc compute instances describe "$builder" --zone="$zone" --format='value(status)' 2>/dev/null || true)" ]; then
                die "builder $builder vanished while preloading (max run duration ${max_run_duration}s reached?)"
            fi
        fi
        if [ "$(date -u +%s)" -ge "$deadline" ]; then
            serial_tail
            die "timed out after ${wait_timeout}s waiting for $builder to report fireworker/status"
        fi
        sleep "$poll_interval"
    done
}

create_builder() {
    local suffix args=()
    suffix="$(label_value "${build_id:-}" | tr -cd 'a-z0-9' | cut -c1-8)"
    if [ -z "$suffix" ]; then
        suffix="$(od -An -N4 -tx1 /dev/urandom | tr -cd '0-9a-f')"
    fi
    # Unique per bake: the EXIT trap may delete it without hurting a concurrent bake.
    builder="fwb-${image##*-}-$suffix"
    work_dir="${work_dir:-$(mktemp -d -t fireworker-bake.XXXXXXXXXX)}"
    printf '%s' "$FW_PRELOAD_B64" | base64 -d >"$work_dir/startup-script" || die "FW_PRELOAD_B64 is not base64"
    printf '%s\n' "$line" >"$work_dir/fw-images"
    local from_file="startup-script=$work_dir/startup-script,fw-images=$work_dir/fw-images"
    if [ -n "$worker_users" ]; then
        printf '%s' "$worker_users" >"$work_dir/fw-worker-users"
        from_file="$from_file,fw-worker-users=$work_dir/fw-worker-users"
    fi
    args=(
        --zone="$zone"
        --machine-type="$machine_type"
        --image="$source_image" --image-project="$source_project"
        --boot-disk-size="${disk_size_gb}GB" --boot-disk-type=pd-balanced --boot-disk-auto-delete
        --service-account="$service_account" --scopes=cloud-platform
        --shielded-secure-boot --shielded-vtpm --shielded-integrity-monitoring
        --max-run-duration="${max_run_duration}s" --instance-termination-action=DELETE
        --metadata="block-project-ssh-keys=TRUE,enable-guest-attributes=TRUE,fw-registry-host=$registry_host"
        --metadata-from-file="$from_file"
        --labels="managed-by=fireworker-images,fireworker-role=builder,fireworker-family=$family,fireworker-image=$image,fireworker-build=$(label_value "${build_id:-none}")"
        --network="$network"
    )
    if [ -n "$subnetwork" ]; then
        args+=(--subnet="$subnetwork")
    fi
    if [ "$internal_ip_only" = true ]; then
        args+=(--no-address)
    fi
    log "creating builder $builder ($machine_type, $source_project/$source_image, ${disk_size_gb} GB)"
    gc compute instances create "$builder" "${args[@]}" >&2 || die "could not create builder $builder"
}

create_image() {
    local labels description digest
    digest="${line##*@sha256:}"
    labels="managed-by=fireworker-images,fireworker-family=$family,fireworker-recipe=${recipe:0:16}"
    labels="$labels,runtime-digest=$(label_value "sha256-$digest"),source-image=$(label_value "$source_image")"
    labels="$labels,source-project=$(label_value "$source_project")"
    description="Fireworker disk image. Preloaded: $line (pulled from $registry_host). Source: projects/$source_project/global/images/$source_image (family $source_family). Recipe: $recipe. Cloud Build: ${build_id:-none}."
    log "creating image $image in family $family"
    if gc compute images create "$image" --source-disk="$builder" --source-disk-zone="$zone" \
        --family="$family" --labels="$labels" --description="$description" >&2; then
        image_exists "$image" || die "image $image vanished after it was created"
        return 0
    fi
    if image_exists "$image"; then
        log "image $image was made meanwhile by another bake; keeping it"
        return 0
    fi
    die "could not create image $image from the disk of $builder"
}

# Deprecates beyond FW_KEEP, deletes this program's images beyond FW_DELETE_BEYOND or past the
# delete date their deprecation set. Problems are reported, not fatal: the image is made.
prune_family() {
    local list rank=0 name state deleted managed now when
    list="$(gc compute images list --show-deprecated --filter="family=$family" \
        --sort-by=~creationTimestamp --format='csv[no-heading](name,deprecated.state,deprecated.deleted,labels.managed-by)')" || {
        log "could not list family $family; not pruned"
        return 0
    }
    now="$(date -u +%s)"
    while IFS=, read -r name state deleted managed; do
        [ -n "$name" ] || continue
        rank=$((rank + 1))
        if [ "$name" = "$image" ] || [ "$rank" -le "$keep" ]; then
            continue
        fi
        if [ "$managed" = fireworker-images ]; then
            when=""
            if [ -n "$deleted" ]; then
                when="$(epoch_of "$deleted")" || when=""
            fi
            if [ "$rank" -gt "$delete_beyond" ] || { [ "$state" = DEPRECATED ] && [ -n "$when" ] && [ "$when" -le "$now" ]; }; then
                log "deleting old image $name (rank $rank, ${state:-ACTIVE})"
                gc compute images delete "$name" --quiet >&2 || log "could not delete image $name (ignored)"
                continue
            fi
        fi
        case "$state" in
        "" | ACTIVE)
            log "deprecating image $name (rank $rank, beyond keep $keep)"
            gc compute images deprecate "$name" --state=DEPRECATED --replacement="$image" \
                --delete-in="${delete_after_days}d" >&2 || log "could not deprecate image $name (ignored)"
            ;;
        esac
    done <<<"$list"
}

main() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP

    validate
    runtime_line
    image="$family-$(printf '%s\n%s\n' "$recipe" "$line" | sha256sum | cut -c1-16)"
    log "image $image: $line on $source_project/$source_family"

    check_runtime
    if image_exists "$image"; then
        log "image $image exists; nothing to bake"
        printf 'FIREWORKER-BAKE: exists %s\n' "$image"
        exit 0
    fi

    local source
    # the source image's own project, not FW_PROJECT
    source="$(gcloud compute images describe-from-family "$source_family" --project="$source_project" \
        --format='value(name,diskSizeGb)')" || die "no image in family $source_project/$source_family"
    source_image="${source%%$'\t'*}"
    local source_gb="${source##*$'\t'}"
    [ -n "$source_image" ] || die "no image in family $source_project/$source_family"
    if [[ "$source_gb" =~ ^[0-9]+$ ]] && [ "$disk_size_gb" -lt "$source_gb" ]; then
        die "FW_DISK_SIZE_GB $disk_size_gb is smaller than the source image $source_image ($source_gb GB)"
    fi

    local round
    sweep_builders
    for round in 1 2 3; do
        if wait_for_concurrent_bake; then
            printf 'FIREWORKER-BAKE: exists %s\n' "$image"
            exit 0
        fi
        concurrent=""
        create_builder
        if elect_builder; then
            break
        fi
        [ "$round" -lt 3 ] || die "three rounds of concurrent bakes of $image; giving up"
        builder_gone=0
        builder=""
    done
    wait_for_guest
    log "stopping builder $builder"
    gc compute instances stop "$builder" --zone="$zone" --quiet >&2 || die "could not stop builder $builder"
    create_image
    delete_builder || die "could not delete builder $builder"
    prune_family
    printf 'FIREWORKER-BAKE: baked %s\n' "$image"
}

source_image=""
main "$@"
