#!/usr/bin/env bash
# fireworker-preload.sh: startup script of the Fireworker image builder VM.
#
# A builder VM boots a stock Debian 12 image with this file as its startup script. The script
# preloads the team's images into Docker, configures run-time registry credentials, cleans up,
# reports the result and powers the VM off; Cloud Build then makes a disk image of the disk.
# Fireworkers run each task as `docker pull REPOSITORY:TAG` then `docker run`, so every image is
# pulled by digest and then tagged exactly REPOSITORY:TAG.
#
# Inputs (instance metadata attributes, GET $FW_METADATA_URL/instance/attributes/NAME):
#   fw-registry-host   registry to log in to, e.g. us-central1-docker.pkg.dev (127.0.0.1:PORT in tests)
#   fw-images          one image a line: REPOSITORY:TAG@sha256:DIGEST, REPOSITORY with its
#                      registry host (blank lines and # comments are ignored; Docker Hub images
#                      are not supported: Docker shortens their names in RepoDigests)
#   fw-worker-users    optional, space-separated users whose home gets the Docker config
#
# Result:
#   guest attribute fireworker/status = ok | failed, and fireworker/reason = one line on failure
#   (PUT $FW_METADATA_URL/instance/guest-attributes/fireworker/...; the builder VM needs the
#   metadata enable-guest-attributes=TRUE), a line "FIREWORKER-PRELOAD: ok" or
#   "FIREWORKER-PRELOAD: failed: REASON" on $FW_SERIAL and stdout, then $FW_POWEROFF_CMD runs in
#   every case. Exit status 0 on ok, 1 on failed. Progress messages go to stderr.
#
# Credentials: the service account's access token is used only through a temporary DOCKER_CONFIG
# in a directory made by mktemp on a tmpfs ($FW_SECRET_DIR: memory, never the disk that becomes
# the image), removed by the EXIT trap on every exit path. The disk keeps no secret: run-time
# pulls go through /usr/local/bin/docker-credential-fireworker, which asks the metadata server
# for a fresh token.
#
# Settings (environment; the defaults are what the builder VM uses):
#   FW_METADATA_URL        metadata server base URL, always sent "Metadata-Flavor: Google"
#                          (default http://metadata.google.internal/computeMetadata/v1; it is
#                          also baked into the credential helper as its default)
#   FW_POWEROFF_CMD        shell command run at the end, success or failure
#                          (default "systemctl poweroff")
#   FW_SERIAL              file that gets the result line (default /dev/ttyS0)
#   FW_DOCKER_INSTALL      1: apt-get install docker.io when `docker` is missing; 0: fail instead
#                          (default 1)
#   FW_CONFIG_ROOT         prefix of the files this script writes: /root, /etc/skel, the worker
#                          users' homes and /usr/local/bin (default /)
#   FW_WORKER_USERS        space-separated users whose home gets .docker/config.json; set (even
#                          empty) it overrides the fw-worker-users attribute. Users that do not
#                          exist yet are skipped: /etc/skel covers them when they are created.
#   FW_PRUNE_OTHER_IMAGES  1: remove every image not in fw-images, stopped containers and the
#                          build cache; 0: touch only this run's own images and tags (tests set
#                          0 so a shared engine keeps its images) (default 1)
#   FW_SYSTEM_CLEANUP      1: on success run `apt-get clean` and vacuum the journal; 0: leave the
#                          machine alone (tests set 0) (default 1)
#   FW_PULL_TIMEOUT        seconds allowed for each `docker pull` (default 3600)
#   FW_PULL_RETRY_SECONDS  a pull denied by the registry (the VM account's pull grant may still be
#                          propagating on a fresh project) is retried this long (default 420)
#   FW_SECRET_DIR          tmpfs directory that gets the temporary DOCKER_CONFIG holding the
#                          login token; anything else is refused (default /run, else /dev/shm:
#                          the first that is a writable tmpfs)
#
# On success the disk is also made ready to be copied into every worker: $FW_CONFIG_ROOT/etc/
# machine-id is emptied (systemd makes a new one at each worker's first boot) and
# /var/lib/dbus/machine-id removed, so no two workers share a machine id.
set -euo pipefail
set -o errtrace

metadata_url="${FW_METADATA_URL:-http://metadata.google.internal/computeMetadata/v1}"
metadata_url="${metadata_url%/}"
poweroff_cmd="${FW_POWEROFF_CMD:-systemctl poweroff}"
serial="${FW_SERIAL:-/dev/ttyS0}"
docker_install="${FW_DOCKER_INSTALL:-1}"
config_root="${FW_CONFIG_ROOT:-/}"
config_root="${config_root%/}" # "" stands for /
prune_other="${FW_PRUNE_OTHER_IMAGES:-1}"
system_cleanup="${FW_SYSTEM_CLEANUP:-1}"
pull_timeout="${FW_PULL_TIMEOUT:-3600}"
pull_retry="${FW_PULL_RETRY_SECONDS:-420}"
secret_dir="${FW_SECRET_DIR:-}"

# Small, bounded curl settings: a dead endpoint fails in a few seconds. The metadata server is
# never reached through a proxy.
curl_opts=(--fail --silent --show-error --noproxy '*' --connect-timeout 3 --max-time 10
    --retry 2 --retry-delay 1 --retry-max-time 15 -H 'Metadata-Flavor: Google')

work_dir=""       # temporary directory on a tmpfs; holds the DOCKER_CONFIG with the login token
finished=0        # 1 once finish has started
err_line=""       # line of the last failing command, for unexpected errors
interrupted=""    # signal name when interrupted
created_tags=()   # "REF<TAB>PREVIOUS_IMAGE_ID" for every tag this run created or moved
pulled_ids=()     # image IDs this run pulled that were not present before
wanted_ids=()     # image IDs of the preloaded images
docker_config_json="" # the .docker/config.json this script writes

log() {
    printf 'fireworker-preload: %s\n' "$*" >&2
}

remove_work_dir() {
    if [ -n "$work_dir" ] && [ -d "$work_dir" ]; then
        rm -rf -- "$work_dir" || log "could not remove $work_dir"
    fi
}

metadata_get() {
    curl "${curl_opts[@]}" "$metadata_url/$1"
}

guest_attribute_put() {
    curl "${curl_opts[@]}" -X PUT --data-raw "$2" \
        "$metadata_url/instance/guest-attributes/fireworker/$1" >/dev/null
}

# Undo this run's tags and pulls, so no half-tagged image remains after a failure. Note: with
# Docker's classic image store, untagging the last tag of an image that is otherwise referenced
# only by digests of the same repository deletes the image (only possible when such an image
# was present before the run).
rollback() {
    local entry ref old id
    for entry in "${created_tags[@]}"; do
        ref="${entry%%$'\t'*}"
        old="${entry#*$'\t'}"
        log "rollback: untagging $ref"
        docker rmi "$ref" >/dev/null 2>&1 || log "rollback: could not untag $ref"
        if [ -n "$old" ]; then
            docker tag "$old" "$ref" >/dev/null 2>&1 || log "rollback: could not restore $ref"
        fi
    done
    for id in "${pulled_ids[@]}"; do
        if docker image inspect "$id" >/dev/null 2>&1; then
            log "rollback: removing image $id"
            docker rmi -f "$id" >/dev/null 2>&1 || log "rollback: could not remove $id"
        fi
    done
}

# Every worker boots a copy of this disk: an empty machine-id makes systemd give each its own.
reset_machine_id() {
    if [ -f "$config_root/etc/machine-id" ]; then
        : >"$config_root/etc/machine-id" || log "could not empty $config_root/etc/machine-id"
    fi
    rm -f -- "$config_root/var/lib/dbus/machine-id" || log "could not remove $config_root/var/lib/dbus/machine-id"
}

clean_system() {
    if command -v apt-get >/dev/null 2>&1; then
        apt-get clean || log "apt-get clean failed (ignored)"
    fi
    if command -v journalctl >/dev/null 2>&1; then
        journalctl --rotate >/dev/null 2>&1 || true
        journalctl --vacuum-time=1s >/dev/null 2>&1 || log "journal vacuum failed (ignored)"
    fi
}

# finish ok|failed [REASON]: report, power off, exit. Best effort from here on.
finish() {
    local status="$1" reason="${2:-}" line
    finished=1
    set +e
    trap - ERR
    reason="$(printf '%s' "$reason" | tr '\r\n\t' '   ' | cut -c1-400)"
    if [ "$status" = failed ]; then
        rollback
    fi
    remove_work_dir
    if [ "$status" = ok ]; then
        line="FIREWORKER-PRELOAD: ok"
        if [ "$system_cleanup" = 1 ]; then
            clean_system
        fi
        reset_machine_id
    else
        line="FIREWORKER-PRELOAD: failed: $reason"
        # The reason goes first: whoever polls the status finds it already there.
        guest_attribute_put reason "$reason" || log "could not write guest attribute fireworker/reason"
    fi
    guest_attribute_put status "$status" || log "could not write guest attribute fireworker/status"
    (printf '%s\n' "$line" >>"$serial") 2>/dev/null || log "could not write to $serial"
    printf '%s\n' "$line"
    log "running power-off command: $poweroff_cmd"
    sh -c "$poweroff_cmd" || log "power-off command failed: $poweroff_cmd"
    if [ "$status" = ok ]; then
        exit 0
    fi
    exit 1
}

fail() {
    log "FAILED: $1"
    finish failed "$1"
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
on_exit() {
    local rc=$?
    if [ "$finished" = 0 ]; then
        if [ -n "$interrupted" ]; then
            finish failed "interrupted by SIG$interrupted"
        fi
        finish failed "internal error: exit status $rc near line ${err_line:-unknown}"
    fi
    remove_work_dir
}

is_tmpfs() {
    [ -d "$1" ] && [ -w "$1" ] && [ "$(stat -f -c %T -- "$1" 2>/dev/null)" = tmpfs ]
}

# The directory for the login token: a tmpfs, so the token never reaches the disk being imaged.
choose_secret_dir() {
    local dir
    if [ -n "$secret_dir" ]; then
        is_tmpfs "$secret_dir" || fail "bad setting: FW_SECRET_DIR=$secret_dir is not a writable tmpfs"
        return 0
    fi
    for dir in /run /dev/shm; do
        if is_tmpfs "$dir"; then
            secret_dir="$dir"
            return 0
        fi
    done
    fail "no writable tmpfs (/run, /dev/shm) for the registry login token"
}

trim() {
    local s="$1"
    s="${s#"${s%%[![:space:]]*}"}"
    s="${s%"${s##*[![:space:]]}"}"
    printf '%s' "$s"
}

docker_answers() {
    timeout 20 docker version >/dev/null 2>&1
}

ensure_docker() {
    local i
    if ! command -v docker >/dev/null 2>&1; then
        if [ "$docker_install" != 1 ]; then
            fail "docker not installed (FW_DOCKER_INSTALL=$docker_install)"
        fi
        log "installing Docker"
        # apparmor: Debian's kernel has AppArmor on, and Docker cannot start containers without
        # apparmor_parser. No other recommends (needrestart would restart services).
        if ! DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 \
            -o Acquire::Retries=3 update >&2; then
            fail "docker install failed: apt-get update"
        fi
        if ! DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 \
            -o Acquire::Retries=3 install --no-install-recommends \
            docker.io ca-certificates apparmor >&2; then
            fail "docker install failed: apt-get install docker.io"
        fi
    fi
    if docker_answers; then
        return 0
    fi
    log "starting Docker"
    if command -v systemctl >/dev/null 2>&1; then
        systemctl enable --now docker.service >&2 || log "systemctl enable --now docker failed"
    fi
    for i in $(seq 60); do
        if docker_answers; then
            return 0
        fi
        log "waiting for the Docker engine ($i)"
        sleep 1
    done
    fail "docker engine not answering"
}

# Reads the token endpoint's JSON on stdin, prints access_token.
parse_token() {
    if command -v jq >/dev/null 2>&1; then
        jq -er '.access_token | strings'
    elif command -v python3 >/dev/null 2>&1; then
        python3 -c 'import json, sys
token = json.load(sys.stdin).get("access_token")
if not isinstance(token, str) or not token:
    sys.exit(1)
sys.stdout.write(token)'
    else
        tr -d '\r\n' | sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\([^"\\]*\)".*/\1/p'
    fi
}

# write_file PATH MODE CONTENT: atomically.
write_file() {
    local path="$1" mode="$2" content="$3" tmp
    mkdir -p -- "$(dirname -- "$path")" || return 1
    tmp="$path.tmp.$$"
    printf '%s' "$content" >"$tmp" || return 1
    chmod "$mode" "$tmp" || return 1
    mv -f -- "$tmp" "$path"
}

# write_docker_config HOME_DIR [UID GID]
write_docker_config() {
    local home="$1" owner="${2:-}" dir
    dir="$home/.docker"
    if ! mkdir -p -- "$dir" || ! chmod 700 "$dir"; then
        fail "could not write docker config: $dir"
    fi
    write_file "$dir/config.json" 600 "$docker_config_json" || fail "could not write docker config: $dir/config.json"
    if [ -n "$owner" ] && [ "$(id -u)" = 0 ]; then
        chown -R "$owner" "$dir" || fail "could not chown $dir to $owner"
    fi
    log "wrote $dir/config.json"
}

# The helper is sh text; @@HOST@@ and @@METADATA_URL@@ are filled in (both validated first).
# shellcheck disable=SC2016 # nothing is meant to expand here
credential_helper_template='#!/bin/sh
# docker-credential-fireworker: Docker credential helper written by fireworker-preload.sh.
# On "get" it prints a short-lived access token of the VM service account for @@HOST@@, asked
# fresh from the metadata server each time. It stores nothing; store/erase/list are no-ops.
set -u
metadata_url="${FW_METADATA_URL:-@@METADATA_URL@@}"
registry_host="@@HOST@@"
case "${1:-}" in
get)
    server=""
    IFS= read -r server || :
    host="${server#*://}"
    host="${host%%/*}"
    if [ "$host" != "$registry_host" ]; then
        echo "credentials not found in native keychain"
        exit 1
    fi
    json="$(curl --fail --silent --show-error --noproxy "*" --connect-timeout 3 --max-time 10 \
        --retry 2 --retry-delay 1 -H "Metadata-Flavor: Google" \
        "$metadata_url/instance/service-accounts/default/token")" || {
        echo "docker-credential-fireworker: metadata token endpoint unreachable" >&2
        exit 1
    }
    token="$(printf "%s" "$json" | tr -d "\r\n" |
        sed -n "s/.*\"access_token\"[[:space:]]*:[[:space:]]*\"\([^\"\\\\]*\)\".*/\1/p")"
    case "$token" in
    "" | *[!A-Za-z0-9._~+/=-]*)
        echo "docker-credential-fireworker: no access_token from the metadata server" >&2
        exit 1
        ;;
    esac
    printf "{\"Username\":\"oauth2accesstoken\",\"Secret\":\"%s\"}\n" "$token"
    ;;
store | erase)
    cat >/dev/null
    ;;
list)
    echo "{}"
    ;;
*)
    echo "usage: docker-credential-fireworker get|store|erase|list" >&2
    exit 1
    ;;
esac
'

# preload_image LINE: pull by digest, verify, tag REPOSITORY:TAG.
preload_image() {
    local line="$1" ref digest repo tag pinned pre_id id digests old_tag_id tag_id
    ref="${line%@*}"
    digest="${line##*@}"
    repo="${ref%:*}"
    tag="${ref##*:}"
    if [ "$ref" = "$line" ] || ! [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || [ "$repo" = "$ref" ] ||
        ! [[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
        ! [[ "$repo" =~ ^[a-z0-9]([a-zA-Z0-9._:-]*[a-zA-Z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)+$ ]]; then
        fail "bad fw-images line (want REPOSITORY:TAG@sha256:DIGEST): $line"
    fi
    pinned="$repo@$digest"
    pre_id="$(docker image inspect --format '{{.Id}}' "$pinned" 2>/dev/null)" || pre_id=""

    log "pulling $pinned"
    local out deadline
    deadline=$(($(date -u +%s) + pull_retry))
    while ! out="$(timeout "$pull_timeout" docker pull -q "$pinned" 2>&1)"; do
        printf '%s\n' "$out" >&2
        case "$out" in
        # the registry's words for a missing grant (not "manifest unknown": that is a wrong digest)
        *"denied: "* | *"unauthorized: "* | *PERMISSION_DENIED* | *"403 Forbidden"*)
            if [ "$(date -u +%s)" -lt "$deadline" ]; then
                log "pull of $pinned denied; the pull grant may still be propagating, retrying"
                sleep 10
                continue
            fi
            ;;
        esac
        fail "pull failed: $pinned"
    done
    id="$(docker image inspect --format '{{.Id}}' "$pinned")" || fail "pull failed: $pinned not in the engine"
    if [ -z "$pre_id" ]; then
        pulled_ids+=("$id")
    fi
    digests="$(docker image inspect --format '{{json .RepoDigests}}' "$pinned")" || digests=""
    case "$digests" in
    *"\"$pinned\""*) ;;
    *) fail "digest mismatch: $pinned (engine has $digests)" ;;
    esac

    old_tag_id="$(docker image inspect --format '{{.Id}}' "$repo:$tag" 2>/dev/null)" || old_tag_id=""
    if [ "$old_tag_id" != "$id" ]; then
        docker tag "$pinned" "$repo:$tag" || fail "tag failed: $repo:$tag"
        created_tags+=("$repo:$tag"$'\t'"$old_tag_id")
    fi
    tag_id="$(docker image inspect --format '{{.Id}}' "$repo:$tag")" || tag_id=""
    if [ "$tag_id" != "$id" ]; then
        fail "tag mismatch: $repo:$tag"
    fi
    wanted_ids+=("$id")
    log "preloaded $repo:$tag ($pinned)"
}

is_wanted_id() {
    local id
    for id in "${wanted_ids[@]}"; do
        if [ "$id" = "$1" ]; then
            return 0
        fi
    done
    return 1
}

# Remove every image that is not wanted. `docker image prune -af` is not used: it would drop the
# wanted images too (no container uses them).
prune_other_images() {
    local ids id pass removed left
    docker container prune -f >/dev/null 2>&1 || log "docker container prune failed (ignored)"
    # Several passes: a parent image goes only once its children are gone.
    for pass in 1 2 3 4 5; do
        removed=0
        left=""
        ids="$(docker image ls -aq --no-trunc | sort -u)" || ids=""
        for id in $ids; do
            if is_wanted_id "$id"; then
                continue
            fi
            if docker rmi -f "$id" >/dev/null 2>&1; then
                log "removed other image $id"
                removed=1
            else
                left="$left $id"
            fi
        done
        if [ "$removed" = 0 ] || [ -z "$left" ]; then
            break
        fi
        log "removing other images, pass $((pass + 1))"
    done
    if [ -n "$left" ]; then
        log "could not remove images (ignored):$left"
    fi
    docker image prune -f >/dev/null 2>&1 || log "docker image prune failed (ignored)"
    docker builder prune -af >/dev/null 2>&1 || log "docker builder prune failed or unsupported (ignored)"
}

main() {
    local registry_host images raw line token_json token users user entry home uid gid
    local helper pinned_lines=() refs=() user_list=() i ref

    trap on_exit EXIT
    trap 'err_line=$LINENO' ERR
    trap 'interrupted=INT; exit 130' INT
    trap 'interrupted=TERM; exit 143' TERM

    case "$docker_install$prune_other$system_cleanup" in
    *[!01]*) fail "bad setting: FW_DOCKER_INSTALL, FW_PRUNE_OTHER_IMAGES and FW_SYSTEM_CLEANUP take 0 or 1" ;;
    esac
    [[ "$pull_timeout" =~ ^[1-9][0-9]*$ ]] || fail "bad setting: FW_PULL_TIMEOUT=$pull_timeout (seconds)"
    [[ "$pull_retry" =~ ^[0-9]+$ ]] || fail "bad setting: FW_PULL_RETRY_SECONDS=$pull_retry (seconds)"
    [[ "$metadata_url" =~ ^https?://[A-Za-z0-9._:/-]+$ ]] || fail "bad setting: FW_METADATA_URL=$metadata_url"

    log "starting: metadata $metadata_url, config root ${config_root:-/}"
    choose_secret_dir
    umask 077
    work_dir="$(mktemp -d "$secret_dir/fireworker-preload.XXXXXXXXXX")" || fail "mktemp failed in $secret_dir"
    export DOCKER_CONFIG="$work_dir/docker-config"
    mkdir -m 700 "$DOCKER_CONFIG" || fail "mktemp failed"
    mkdir -m 700 "$work_dir/empty-path" || fail "mktemp failed"
    umask 022

    # Inputs.
    raw="$(metadata_get instance/attributes/fw-registry-host)" || fail "metadata attribute fw-registry-host unavailable"
    registry_host="$(trim "$raw")"
    [[ "$registry_host" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$ ]] ||
        fail "bad fw-registry-host: $registry_host"
    images="$(metadata_get instance/attributes/fw-images)" || fail "metadata attribute fw-images unavailable"
    while IFS= read -r line || [ -n "$line" ]; do
        line="$(trim "$line")"
        case "$line" in
        "" | "#"*) ;;
        *) pinned_lines+=("$line") ;;
        esac
    done <<<"$images"
    [ "${#pinned_lines[@]}" -gt 0 ] || fail "fw-images is empty"
    if [ -n "${FW_WORKER_USERS+set}" ]; then
        users="$FW_WORKER_USERS"
    else
        users="$(metadata_get instance/attributes/fw-worker-users 2>/dev/null)" || users=""
    fi
    read -r -a user_list <<<"$users" || :
    for user in "${user_list[@]}"; do
        [[ "$user" =~ ^[a-z_][a-z0-9_.-]*[$]?$ ]] || fail "bad worker user name: $user"
    done

    ensure_docker

    # Log in with a short-lived token, in the temporary DOCKER_CONFIG only.
    token_json="$(metadata_get instance/service-accounts/default/token)" || fail "token endpoint unreachable"
    token="$(printf '%s' "$token_json" | parse_token)" || token=""
    token_json=""
    [[ "$token" =~ ^[A-Za-z0-9._~+/=-]+$ ]] || fail "token endpoint returned no access_token"
    # PATH is emptied for `docker login` so the CLI finds no credential store (pass,
    # secretservice) and keeps the token in $DOCKER_CONFIG/config.json.
    if ! printf '%s' "$token" | timeout 60 env PATH="$work_dir/empty-path" "$(command -v docker)" \
        login -u oauth2accesstoken --password-stdin "$registry_host" >&2; then
        token=""
        fail "registry login failed: $registry_host"
    fi
    token=""
    if grep -q credsStore "$DOCKER_CONFIG/config.json" 2>/dev/null; then
        fail "registry login used a credential store outside the temporary config"
    fi

    # Run-time credentials: a helper that asks the metadata server, and configs naming it.
    helper="${credential_helper_template//@@HOST@@/$registry_host}"
    helper="${helper//@@METADATA_URL@@/$metadata_url}"
    write_file "$config_root/usr/local/bin/docker-credential-fireworker" 755 "$helper" ||
        fail "could not write $config_root/usr/local/bin/docker-credential-fireworker"
    docker_config_json="$(printf '{\n  "credHelpers": {\n    "%s": "fireworker"\n  }\n}\n_' "$registry_host")"
    docker_config_json="${docker_config_json%_}"
    write_docker_config "$config_root/root"
    write_docker_config "$config_root/etc/skel"
    for user in "${user_list[@]}"; do
        if ! entry="$(getent passwd "$user")"; then
            log "worker user $user does not exist; skipped (/etc/skel covers it when created)"
            continue
        fi
        IFS=: read -r _ _ uid gid _ home _ <<<"$entry"
        if [ -z "$home" ] || [ "$home" = / ] || [ ! -d "$config_root$home" ]; then
            log "worker user $user has no home directory ($config_root$home); skipped"
            continue
        fi
        write_docker_config "$config_root$home" "$uid:$gid"
    done

    # Preload.
    for line in "${pinned_lines[@]}"; do
        for ref in "${refs[@]}"; do
            if [ "$ref" = "${line%@*}" ]; then
                fail "fw-images names $ref twice"
            fi
        done
        preload_image "$line"
        refs+=("${line%@*}")
    done
    # The token's only copy goes now; the empty directory stays as DOCKER_CONFIG until exit.
    rm -f -- "$DOCKER_CONFIG/config.json" || fail "could not remove the temporary docker config"

    if [ "$prune_other" = 1 ]; then
        prune_other_images
    fi
    for i in "${!refs[@]}"; do
        if [ "$(docker image inspect --format '{{.Id}}' "${refs[$i]}" 2>/dev/null)" != "${wanted_ids[$i]}" ]; then
            fail "lost ${refs[$i]} after preloading"
        fi
    done
    finish ok
}

main "$@"
