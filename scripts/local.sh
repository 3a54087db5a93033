#!/usr/bin/env bash
# `npm run local`: brings up the `local` stack (both images built on the local Docker engine)
# with state in a file backend inside the project (.pulumi-state/, ignored by git), so it needs
# no Pulumi Cloud account and leaves the user's global Pulumi login untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pulumi >/dev/null 2>&1; then
    echo "npm run local: the Pulumi CLI is not installed; see https://www.pulumi.com/docs/install/" >&2
    exit 2
fi
if ! docker version >/dev/null 2>&1; then
    echo "npm run local: no Docker engine answers (docker version failed); start Docker first" >&2
    exit 2
fi
mkdir -p .pulumi-state
export PULUMI_BACKEND_URL="file://$PWD/.pulumi-state"
# the local stack holds no secrets; an empty passphrase keeps the quickstart prompt-free
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
pulumi stack select --create local
pulumi up --yes --skip-preview "$@"
