#!/bin/sh
# Runs every example in $BUILD/examples and checks that each one reached the
# outcome it claims: its exit status, its final line, and the refusals it is
# there to show. An example without a case below must at least exit 0.
#
#   BUILD=build sh tests/examples.sh

BUILD=${BUILD:-build}
dir=$BUILD/examples
case $dir in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ofb-examples.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
trap 'exit 130' INT TERM

passed=0
failed=0

# run NAME [ARG...]: runs the example in the scratch directory, so that
# nothing it writes lands in the work tree.
run() {
    name=$1
    shift
    out=$tmp/$name.out
    (cd "$tmp" && "$dir/$name" "$@") >"$out" 2>&1
    status=$?
    if [ "$status" -ne 0 ]; then
        echo "$name: exit status $status"
        return 1
    fi
}

# last TEXT: the example's last line starts with TEXT.
last() {
    case $(tail -n 1 "$out") in
    "$1"*) return 0 ;;
    esac
    echo "$name: last line is not '$1...': $(tail -n 1 "$out")"
    return 1
}

# has TEXT...: every TEXT appears in the output.
has() {
    for text in "$@"; do
        if ! grep -qF -- "$text" "$out"; then
            echo "$name: missing: $text"
            return 1
        fi
    done
}

check() {
    name=$1
    case $name in
    pzzle)
        run pzzle "$tmp/pzzle.journal" &&
        last "Offboarding complete: every step in order" &&
        has "refused (prerequisite not settled): cannot complete 'tags_removed'" \
            "*** the process is killed here ***" \
            "3. A new process resumes from the journal." &&
        [ -s "$tmp/pzzle.journal" ]
        ;;
    autotask)
        run autotask &&
        last "autotask: offboarding complete (with appointment, without appointment)" &&
        has "cannot complete 'runbook_sent': prerequisite 'required_info' is not done" \
            "cannot complete 'scheduling_link_sent': it does not apply (when remote_appointment is false)" \
            "Run completed: 7 done, 0 skipped" \
            "Run completed: 6 done, 1 skipped"
        ;;
    rmm-contact)
        run rmm-contact "$tmp/rmm.journal" &&
        last "rmm-contact: contact removed after the form came in" &&
        has "[process 1, pid" "[process 2, pid" \
            "refused (prerequisite not settled): cannot complete 'contact_removed': prerequisite 'ticket_saved' is not done" \
            "ticket_saved is waiting for 'offboarding_form_submitted'" \
            "hash chain intact" \
            "[process 2] run is completed" &&
        [ -s "$tmp/rmm.journal" ] && [ ! -e "$tmp/rmm.journal.psa" ]
        ;;
    xpm-nimbus)
        run xpm-nimbus &&
        last "xpm-nimbus: offboarding complete" &&
        has "cannot confirm 'archived_in_xpm': prerequisite 'history_exported' is not done" \
            "cannot confirm 'closed_in_myob': prerequisite 'history_exported' is not done" \
            "entity_deleted=false (2 jobs awaiting signature)" \
            "auto  entity_deleted_manually" \
            "entity_deleted=true (0 jobs awaiting signature)" \
            "refused (irreversible step needs confirmation): cannot complete 'documents_deleted': it is irreversible, confirm it first" \
            "auto  documents_deleted"
        ;;
    intercept)
        run intercept &&
        last "intercept: offboarding complete for every tier (fullstack 18 steps, premium 17, csp 10)" &&
        has "cannot complete 'resources_exported': it does not apply (when tier == fullstack is false)" \
            "cannot complete 'secrets_exported': it does not apply (when tier in (fullstack, premium) is false)" \
            "[practice-lead] confirm lighthouse_removed" \
            "tenant clean, 0 refusals by the environment"
        ;;
    event-loop)
        run event-loop &&
        last "event-loop: 50 runs complete in one poll() loop" &&
        has "429 Too Many Requests: retry after backoff" \
            "50 runs completed, 50 tenants deleted, 0 refused"
        ;;
    *)
        run "$name"
        ;;
    esac
}

found=0
for bin in "$dir"/*; do
    if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
        continue
    fi
    found=$((found + 1))
    name=${bin##*/}
    if check "$name"; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name (output below)"
        sed 's/^/    | /' "$tmp/$name.out" 2>/dev/null | tail -n 40
        failed=$((failed + 1))
    fi
done

if [ "$found" -eq 0 ]; then
    echo "examples: no example binaries in $dir (run make examples)"
    exit 1
fi
echo "examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
