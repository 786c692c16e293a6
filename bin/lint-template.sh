#!/usr/bin/env bash
# Lints the synthesized CloudFormation template of every environment (config/environments.json) with cfn-lint,
# and with the serverless rules (cfn-lint-serverless) when they can be had, against each environment's region.
# Runs from the repository root so that .cfnlintrc.yaml (the reason for each check left out) applies. cfn-lint
# is a Python tool: installed here from PyPI when missing. Exit code: cfn-lint's (0 = no finding).
set -euo pipefail
cd "$(dirname "$0")/.."

pip_install() {
  python3 -m pip install --user --quiet --disable-pip-version-check --timeout 20 --retries 1 "$@"
}

if ! command -v cfn-lint >/dev/null; then
  echo "lint-template: cfn-lint is missing; installing it from PyPI" >&2
  if ! pip_install cfn-lint; then
    echo "lint-template: cfn-lint is not installed and pip could not install it" >&2
    exit 3
  fi
  PATH="$(python3 -m site --user-base)/bin:$PATH"
fi

rules=()
if python3 -c "import cfn_lint_serverless" 2>/dev/null || pip_install cfn-lint-serverless; then
  rules=(--append-rules cfn_lint_serverless.rules)
else
  echo "lint-template: WARNING: the serverless rules (cfn-lint-serverless) are not installed and pip could" \
    "not install them; linting without them" >&2
fi

node=node_modules/.bin/node
[ -x "$node" ] || node=node
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# One template per environment (bundling skipped: the Lambda code is not what cfn-lint reads); one cfn-lint run
# over them all, against every environment's region (its start-up is most of its time).
regions="$("$node" --disable-warning=ExperimentalWarning --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs";
  import { DEFAULT_ENVIRONMENTS_FILE, loadEnvironment } from "./lib/environment-config.ts";
  import { synthesizeTemplate } from "./local/template.ts";
  const { environments } = JSON.parse(readFileSync(DEFAULT_ENVIRONMENTS_FILE, "utf8"));
  const regions = new Set();
  for (const name of Object.keys(environments)) {
    const env = loadEnvironment(name);
    writeFileSync(`${process.argv[1]}/${name}.json`, JSON.stringify(await synthesizeTemplate(env), null, 1));
    regions.add(env.region);
  }
  console.log([...regions].join(" "));
' "$out")"
echo "lint-template: $(cd "$out" && echo *.json) in ${regions}"
# shellcheck disable=SC2086 # one argument per region
cfn-lint --regions $regions "${rules[@]}" -- "$out"/*.json
