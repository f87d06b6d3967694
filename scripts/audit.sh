#!/usr/bin/env bash
# Known vulnerabilities in the pinned requirements (pip-audit), for CI (.ci/run).
#   exit 0  no known vulnerability, or the audit could not run because its vulnerability
#           service was unreachable (said on a line starting "AUDIT NOT RUN")
#   exit 1  a known vulnerability (listed above it), or any other failure of pip-audit
# pip-audit asks an online service (PyPI's JSON API by default) about every pin; where that
# service cannot be reached, or answers without vulnerability data (a PyPI mirror), no result
# can be had, and a CI run should not fail for the network's sake. A finding always fails.
set -uo pipefail
cd "$(dirname "$0")/.."
PIP_AUDIT="${PIP_AUDIT:-.venv/bin/pip-audit}"
echo "== audit (pip-audit, requirements.txt)"
output=$("$PIP_AUDIT" --requirement requirements.txt --progress-spinner off --strict 2>&1)
status=$?
if [ "$status" -eq 0 ]; then
  echo "$output" | tail -n 3
  exit 0
fi
if grep -qE "Found [0-9]+ known vulnerabilit" <<<"$output"; then
  echo "$output"
  echo "pip-audit found known vulnerabilities (above): raise those pins in requirements.txt." >&2
  exit 1
fi
network='could not be audited|ConnectionError|Max retries exceeded|Name or service not known|Temporary failure in name resolution|Failed to establish a new connection|Connection refused|timed out|SSLError'
if grep -qE "$network" <<<"$output"; then
  echo "$output" | grep -E "$network" | head -n 3
  echo "AUDIT NOT RUN: pip-audit could not get vulnerability data (its service is unreachable from here, or a mirror without that data answered). Run 'make audit' where the service is reachable."
  exit 0
fi
echo "$output"
echo "pip-audit failed (above) for a reason other than the network." >&2
exit 1
