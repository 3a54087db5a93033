#!/usr/bin/env bash
# `npm run local`: brings up the `local` stack (both images built on the local Docker engine)
# with state in a file backend inside the project (.pulumi-state/, ignored by git), so it needs
# no Pulumi Cloud account and leaves the user's global Pulumi login untouched.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every missing prerequisite, one line each, before anything runs.
missing=0
need() { # need LINE: report a missing prerequisite
    echo "npm run local: $1" >&2
    missing=1
}
[[ -d node_modules/@pulumi/pulumi ]] || need "the project's packages are not installed: run npm ci first"
command -v git >/dev/null 2>&1 || need "git is not installed (the images carry the payload's git facts): https://git-scm.com/downloads"
command -v pulumi >/dev/null 2>&1 || need "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/"
if ! command -v docker >/dev/null 2>&1; then
    need "Docker is not installed: https://docs.docker.com/engine/install/"
elif ! docker version >/dev/null 2>&1; then
    need "no Docker engine answers (docker version failed): start Docker${DOCKER_HOST:+ (DOCKER_HOST=$DOCKER_HOST)}"
fi
((missing == 0)) || exit 2

mkdir -p .pulumi-state
export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
# the local stack holds no secrets; an empty passphrase keeps the quickstart prompt-free
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
pulumi stack select --create local

# A killed run (a closed terminal, a second Ctrl-C) leaves the stack locked, its lock naming the
# process and host. When that process is gone, unlock the stack and drop the build it interrupted
# from the state (the next build finds that build's image, if it finished, by its content tag).
running() { # running PID: alive, and not a zombie waiting to be reaped
    kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1" 2>/dev/null) != Z* ]]
}
for lock in .pulumi-state/.pulumi/locks/*/fireworker-images/local/*.json; do
    [[ -f $lock ]] || continue
    read -r pid host < <(node -e 'const l = require(process.argv[1]); console.log(l.pid, l.hostname)' "$PWD/$lock")
    if [[ $host == "$(uname -n)" ]] && ! running "$pid"; then
        echo "npm run local: the last run (pid $pid) was killed; unlocking the stack and clearing the build it interrupted" >&2
        pulumi cancel --yes >/dev/null
        pulumi refresh --yes --skip-preview --clear-pending-creates >/dev/null
    fi
done
pulumi up --yes --skip-preview "$@"
