#!/usr/bin/env bash
# The action's install step (action.yml): starter-lint in a venv of its own under RUNNER_TEMP,
# never the runner's system Python. INPUT_VERSION empty installs this checkout of the action
# ($GITHUB_ACTION_PATH: the tag or SHA the workflow pinned, no package index release needed);
# otherwise it is a PyPI version (1.2.3) or specifier (>=1.2,<2). It is checked against a strict
# pattern first: an input is data, so `--index-url …` or `x; rm -rf /` is refused, never passed on.
# Python runs isolated (-I) and starter-lint through its console script: the working directory is
# the repository being checked, and a `pip/` or `starter_lint/` folder there must not be imported.
# Writes `bin=<the venv's bin folder>` to $GITHUB_OUTPUT for the check step. Exit 2 on a bad input.
set -euo pipefail

fail() {
  # a plain line (never an input's text: it could hold a workflow command)
  echo "starter-lint action: $1" >&2
  exit 2
}

version=${INPUT_VERSION:-}
release='[0-9][0-9A-Za-z.+!]*'
specifier="(==|~=|>=|<=|!=|>|<)[0-9][0-9A-Za-z.*+!]*"
if [[ -z $version ]]; then
  requirement=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
elif [[ $version =~ ^${release}$ ]]; then
  requirement="starter-lint==$version"
elif [[ $version =~ ^${specifier}(,${specifier})*$ ]]; then
  requirement="starter-lint$version"
else
  fail "input 'version' must be empty (this action's checkout), a version such as 0.2.0 or a specifier such as '>=0.2,<1'"
fi

python=python3
command -v "$python" >/dev/null || fail "$python is not on PATH: run actions/setup-python first"
"$python" -I -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
  fail "starter-lint needs Python 3.10 or later: run actions/setup-python first"

venv="${RUNNER_TEMP:-$(mktemp -d)}/starter-lint-venv"
"$python" -I -m venv "$venv"
"$venv/bin/python" -I -m pip install --quiet --disable-pip-version-check "$requirement"
"$venv/bin/starter-lint" --version
echo "bin=$venv/bin" >>"${GITHUB_OUTPUT:-/dev/null}"
