#!/usr/bin/env bash
# The one test command (make test, and CI through .ci/run). Runs every step even when an
# earlier one fails, so one run shows everything, then prints a summary and exits non-zero
# if any step failed.
#
#   CI=true             PostgreSQL and browser tests are required; Chromium is installed if missing.
#   INSTALL_CHROMIUM=1  outside CI, install Chromium with apt-get when running as root.
#   PG_SERVER           where PostgreSQL is (default postgres@127.0.0.1:5432, trust auth).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
if [[ -d .venv/bin ]]; then
    export PATH="$ROOT/.venv/bin:$PATH"
fi

CI=${CI:-false}
PG_SERVER=${PG_SERVER:-postgres@127.0.0.1:5432}
# Steps pick their settings explicitly so a developer's exported variables cannot leak in.
unset DATABASE_URL TEST_DATABASE_URL PORTAL_INSTANCE

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Ctrl-C stops the whole run (pytest would otherwise exit normally and the next step start).
trap 'exit 130' INT

names=() results=() times=() notes=()

# A step calls this to report that it did not run (and why); it then returns 0.
skip() {
    echo "SKIPPED: $1"
    echo "$1" > "$WORK/skip"
}

run_step() {
    local name=$1 rc start=$SECONDS
    shift
    printf '\n==== %s ====\n' "$name"
    rm -f "$WORK/skip"
    # A subshell with its own errexit: the first failing command ends the step, not the script.
    set +e
    (set -e; "$@")
    rc=$?
    set -e
    names+=("$name")
    times+=("$((SECONDS - start))s")
    if [[ $rc -ne 0 ]]; then
        results+=(FAILED) notes+=("exit code $rc")
    elif [[ -f $WORK/skip ]]; then
        results+=(SKIPPED) notes+=("$(cat "$WORK/skip")")
    else
        results+=(passed) notes+=("")
    fi
}

step_lint() {
    # One line per finding keeps the log short; run plain `ruff check .` for the full context.
    ruff check --output-format concise .
}

# The import contracts in .importlinter (domain order, views -> services -> models, no Flask in the text
# rules or the stack loader). A broken contract prints the offending import and the rule it breaks.
step_lint_imports() {
    lint-imports
}

# Runs against whatever DATABASE_URL is set: every migration from empty, then checks that
# the models and the migrations agree (a model change without its migration fails here).
migrate_and_check() {
    PORTAL_CONFIG=development flask --app wsgi db upgrade
    # A failed check prints every missing table on one huge line; the start says enough.
    PORTAL_CONFIG=development flask --app wsgi db check 2>&1 | cut -c -1500
}

step_migrations_sqlite() {
    export PORTAL_INSTANCE="$WORK/instance-sqlite"
    export DATABASE_URL="sqlite:///$WORK/migrations.db"
    migrate_and_check
}

run_pytest() {
    if [[ $CI != true ]]; then
        pytest "$@" 2>&1 | tee -a "$WORK/pytest.log"
        return
    fi
    # In CI a hung test should end its step, not use up the whole job. (Not used locally:
    # timeout moves pytest out of the terminal's process group, so Ctrl-C would miss it.)
    local rc=0
    timeout --kill-after=30 "${PYTEST_TIMEOUT:-1200}" pytest "$@" 2>&1 | tee -a "$WORK/pytest.log" || rc=$?
    [[ $rc -ne 124 ]] || echo "FAILED: pytest ran longer than ${PYTEST_TIMEOUT:-1200}s and was stopped"
    return "$rc"
}

# The independent credential verifier (tests/badges/verifier) runs on Node.js: required in CI, so installed there.
ensure_node() {
    if [[ $CI == true ]] && ! command -v npm >/dev/null; then
        echo "-- installing nodejs and npm with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
    fi
}

step_pytest_sqlite() {
    ensure_node
    PORTAL_CONFIG=test run_pytest -m "not browser"
}

# Runs SQL on the server's maintenance database (psycopg comes with the app's requirements).
pg_admin() {
    python - "$PG_SERVER" "$1" <<'EOF'
import sys, psycopg
with psycopg.connect(f"postgresql://{sys.argv[1]}/postgres", autocommit=True, connect_timeout=3) as conn:
    conn.execute(sys.argv[2])
EOF
}

# Both PostgreSQL steps start from a fresh database of their own, dropped again on exit.
PG_DB="portal_test_$$"
PG_URL="postgresql+psycopg://$PG_SERVER/$PG_DB"
PG_UP=false
if pg_admin "SELECT 1" 2>/dev/null; then
    PG_UP=true
    trap 'pg_admin "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" || true; rm -rf "$WORK"' EXIT
fi

# PostgreSQL is required in CI; elsewhere its steps are skipped when it is not running.
pg_missing() {
    if [[ $CI == true ]]; then
        echo "FAILED: PostgreSQL not reachable at ${PG_SERVER#*@} (required in CI)"
        return 1
    fi
    skip "PostgreSQL not reachable at ${PG_SERVER#*@}"
}

fresh_pg_database() {
    pg_admin "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
    pg_admin "CREATE DATABASE $PG_DB"
    # A connection left inside a transaction would make the next DROP TABLE wait forever;
    # with a lock timeout that becomes an error naming the test instead of a hung run.
    pg_admin "ALTER DATABASE $PG_DB SET lock_timeout = '60s'"
    echo "-- fresh database $PG_DB"
}

step_migrations_postgres() {
    if [[ $PG_UP != true ]]; then pg_missing; return; fi
    fresh_pg_database
    DATABASE_URL="$PG_URL" migrate_and_check
}

step_pytest_postgres() {
    if [[ $PG_UP != true ]]; then pg_missing; return; fi
    fresh_pg_database
    ensure_node
    TEST_DATABASE_URL="$PG_URL" PORTAL_CONFIG=test run_pytest -m "not browser"
}

have_chromium() {
    { [[ -x /usr/bin/chromium ]] || command -v chromium >/dev/null; } && command -v chromedriver >/dev/null
}

step_browser() {
    if ! have_chromium; then
        if [[ $CI == true || ( $(id -u) == 0 && ${INSTALL_CHROMIUM:-} == 1 ) ]]; then
            echo "-- installing chromium and chromium-driver with apt-get"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
        else
            skip "chromium not found (as root, INSTALL_CHROMIUM=1 installs it with apt-get)"
            return 0
        fi
    fi
    local rc=0
    PORTAL_CONFIG=test run_pytest -m browser tests/browser || rc=$?
    if [[ $rc -eq 5 ]]; then
        # pytest exit code 5: no tests were collected.
        if [[ $CI == true ]]; then
            echo "FAILED: no browser tests collected in tests/browser (they are required in CI)"
            return 1
        fi
        skip "no browser tests collected in tests/browser"
        return 0
    fi
    return "$rc"
}

run_step "1. ruff check" step_lint
run_step "2. lint imports" step_lint_imports
run_step "3. migrations on empty SQLite (upgrade + check)" step_migrations_sqlite
run_step "4. pytest on SQLite (not browser)" step_pytest_sqlite
run_step "5. migrations on empty PostgreSQL (upgrade + check)" step_migrations_postgres
run_step "6. pytest on PostgreSQL (not browser)" step_pytest_postgres
run_step "7. browser tests (Chromium)" step_browser

# Every pytest run's closing counts, added up, so the log ends with one plain total.
count_tests() {
    grep -E '^=+ .* in [0-9.]+s' "$WORK/pytest.log" 2>/dev/null | grep -oE "[0-9]+ $1" | awk '{n += $1} END {print n + 0}'
}

printf '\n==== summary (CI=%s, %ss in all) ====\n' "$CI" "$SECONDS"
failed=0
for i in "${!names[@]}"; do
    printf '%-8s %6s  %s%s\n' "${results[$i]}" "${times[$i]}" "${names[$i]}" "${notes[$i]:+  -- ${notes[$i]}}"
    [[ ${results[$i]} == FAILED ]] && failed=1
done
echo "tests: $(count_tests passed) passed, $(( $(count_tests failed) + $(count_tests error) )) failed"
exit "$failed"
