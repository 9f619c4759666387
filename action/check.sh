#!/usr/bin/env bash
# The action's check step (action.yml): `starter-lint check` with the github format (an annotation
# per finding), and a second run writing SARIF when INPUT_SARIF is true (check writes one format a
# run). Every input comes in through the environment, never pasted into a script, and INPUT_ARGS
# is split as a shell would split it (quotes kept, shlex) but never run: `$(touch x)`, `;` and
# backticks are literal arguments.
#
# Environment: STARTER_LINT_BIN (the venv's bin folder, from the install step), INPUT_ARGS,
# INPUT_FAIL_ON (error|warning|note|never, empty: the config's), INPUT_SARIF (true|false),
# INPUT_SARIF_FILE. Writes exit-code and sarif-file to $GITHUB_OUTPUT.
# Exit: check's (0 passed, 1 findings at or above fail-on; never: 0), 2 when it could not check.
set -uo pipefail

fail() {
  # a plain line (never an input's text: it could hold a workflow command)
  echo "starter-lint action: $1" >&2
  echo "exit-code=2" >>"${GITHUB_OUTPUT:-/dev/null}"
  exit 2
}

bin=${STARTER_LINT_BIN:?STARTER_LINT_BIN is not set (the install step sets it)}
fail_on=${INPUT_FAIL_ON:-}
sarif=${INPUT_SARIF:-false}
sarif_file=${INPUT_SARIF_FILE:-starter-lint.sarif}

# shlex in the venv's python, isolated (-I: the working directory is the repository checked,
# never a place to import from): each word NUL-terminated, so any character but NUL survives
words=$(mktemp)
trap 'rm -f "$words"' EXIT
"$bin/python" -I -c 'import shlex, sys
try:
    words = shlex.split(sys.argv[1])
except ValueError:
    sys.exit(2)
sys.stdout.write("".join(w + "\0" for w in words))' "${INPUT_ARGS:-}" >"$words" ||
  fail "input 'args' cannot be split into words (an unclosed quote?)"
args=()
while IFS= read -r -d '' word; do args+=("$word"); done <"$words"

for word in "${args[@]}"; do
  [[ $word == -- ]] && break
  # a cluster of short options ends in -o's value too (`-qo FILE`, `-qqoFILE`): -q is the one
  # short flag without a value
  if [[ $word =~ ^-q+o ]]; then
    fail "input 'args' must not set --format or --output: the action sets them (inputs 'sarif', 'sarif-file')"
  fi
  case $word in
    --format | --format=* | --output | --output=* | -o*)
      fail "input 'args' must not set --format or --output: the action sets them (inputs 'sarif', 'sarif-file')" ;;
    --statistics)
      fail "input 'args' must not set --statistics: the action reports each finding (annotations, SARIF)" ;;
  esac
done

options=()
case $fail_on in
  "" | never) ;;
  error | warning | note) options=(--fail-on "$fail_on") ;;
  *) fail "input 'fail-on' must be error, warning, note or never" ;;
esac
case $sarif in
  true | false) ;;
  *) fail "input 'sarif' must be true or false" ;;
esac
if [[ $sarif == true && ( -z $sarif_file || $sarif_file == *[[:cntrl:]]* ) ]]; then
  fail "input 'sarif-file' must be a file name without control characters"
fi

# the annotations go to a file of ours, then to the log: a repository's config may name an
# `output:` of its own, which would otherwise swallow them (the command line wins over it)
annotations=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/starter-lint-annotations.XXXXXX")
trap 'rm -f "$words" "$annotations"' EXIT
"$bin/starter-lint" check --format github --output "$annotations" "${options[@]}" "${args[@]}"
code=$?
cat "$annotations"
if [[ $sarif == true && $code != 2 ]]; then
  "$bin/starter-lint" check --format sarif --output "$sarif_file" "${options[@]}" "${args[@]}"
  sarif_code=$?
  if [[ $sarif_code == 2 ]]; then
    code=2
  else
    echo "sarif-file=$sarif_file" >>"${GITHUB_OUTPUT:-/dev/null}"
  fi
fi
echo "exit-code=$code" >>"${GITHUB_OUTPUT:-/dev/null}"
if [[ $code == 1 && $fail_on == never ]]; then
  exit 0
fi
exit "$code"
