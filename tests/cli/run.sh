#!/bin/sh
# tests/cli/run.sh - the `ofb` command end to end, as a technician uses it.
#
#   OFB=build/ofb sh tests/cli/run.sh
#
# Every verb, every exit status and refusal, a whole offboarding of each
# built-in workflow from `start` to completion, two writers at once, a
# damaged journal, and the import of a real checklist. POSIX sh only.

set -u

OFB=${OFB:-build/ofb}
case $OFB in /*) ;; *) OFB=$(pwd)/$OFB ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/../data
T=$(mktemp -d "${TMPDIR:-/tmp}/ofb-cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# The time and the actor are fixed so that output is repeatable.
OFB_NOW=1795420800 # 2026-11-23 08:00 UTC
USER=tester
export OFB_NOW USER
unset OFB_LOCK_TIMEOUT_MS

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
    if [ -s "$T/err" ]; then sed 's/^/    stderr: /' "$T/err" | head -n 8 >&2; fi
}

# run ARGS...: the command's stdout in $T/out, stderr in $T/err, status in rc.
run() {
    "$OFB" "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

# expect STATUS ARGS...: runs and checks the exit status.
expect() {
    want=$1
    shift
    run "$@"
    if [ "$rc" -eq "$want" ]; then ok; else bad "ofb $*: exit $rc, wanted $want"; fi
}

# err_has TEXT / out_has TEXT: the last command's stderr / stdout holds it.
err_has() {
    if grep -F -q -- "$1" "$T/err"; then ok; else bad "stderr lacks '$1'"; fi
}
out_has() {
    if grep -F -q -- "$1" "$T/out"; then ok; else
        bad "stdout lacks '$1'"
        sed 's/^/    stdout: /' "$T/out" | head -n 8 >&2
    fi
}

# ----------------------------------------------------------------- help

expect 0 --help
out_has "ofb start WF JOURNAL"
expect 0 help
out_has "Exit status"
for v in list show check dot mermaid plan checklist import-checklist start \
    status next done skip confirm signal set log; do
    expect 0 "$v" --help
    out_has "usage: ofb $v"
    expect 0 help "$v"
    out_has "usage: ofb $v"
done
expect 0 --version
out_has "ofb "

# ----------------------------------------------------------------- usage

expect 2
expect 2 frobnicate
err_has "no verb 'frobnicate'"
expect 2 show
err_has "missing argument"
expect 2 show pzzle-customer extra
err_has "unexpected argument 'extra'"
expect 2 list --json
err_has "this verb takes no option"
expect 2 plan pzzle-customer --set
err_has "--set needs a value"
expect 2 plan pzzle-customer --set novalue
err_has "KEY=VALUE"
expect 2 show no-such-workflow
err_has "no built-in workflow 'no-such-workflow'"
expect 3 show "$T/missing.ofb"
err_has "cannot read"

# ----------------------------------------------------------------- definitions

expect 0 list
for w in pzzle-customer autotask-msp-customer rmm-remove-contact \
    xpm-nimbus-client intercept-customer; do
    out_has "$w"
done

expect 0 show pzzle-customer
out_has "sync_job_off"
out_has "role: admin"
out_has "after: sync_job_off"
out_has "wait: support_confirmed"
expect 0 show xpm-nimbus-client
out_has "practice_manager     choice(xpm, myob_ae) required"
out_has "flags: irreversible"
out_has "when: practice_manager == xpm"
out_has "(timeout 2d)"

cat >"$T/good.ofb" <<'EOF'
workflow two-steps 1
title "Two steps"
step a "First"
  role admin
step b "Second"
  after a
  irreversible
EOF
cat >"$T/bad.ofb" <<'EOF'
workflow broken 1
step a "First"
  after nowhere
step a "Again"
EOF
expect 0 check "$T/good.ofb"
out_has "ok: two-steps v1, 2 steps"
expect 1 check "$T/bad.ofb"
err_has "$T/bad.ofb:"
err_has "error:"
expect 1 check "$T/good.ofb" "$T/bad.ofb"
expect 3 check "$T/none.ofb"
expect 0 show "$T/good.ofb"
out_has "flags: irreversible"

expect 0 dot pzzle-customer
out_has 'digraph "pzzle-customer"'
out_has '"sync_job_off" -> "schema_tags_off";'
expect 0 dot "$T/good.ofb"
out_has "shape=octagon"
if command -v dot >/dev/null 2>&1; then
    for w in pzzle-customer autotask-msp-customer rmm-remove-contact \
        xpm-nimbus-client intercept-customer; do
        if "$OFB" dot "$w" | dot -Tsvg >/dev/null 2>"$T/err"; then ok; else bad "dot cannot render $w"; fi
    done
fi
expect 0 mermaid xpm-nimbus-client
out_has "flowchart TD"
out_has "class s1 irreversible"
out_has "s0 --> s1"

expect 0 plan intercept-customer --set tier=csp
out_has "run   notice_received"
out_has "skip  meeting_setup"
out_has "when tier in (fullstack, premium)"
expect 0 plan xpm-nimbus-client --set practice_manager=xpm --set cdm=true
out_has "decided during the run"
expect 1 plan intercept-customer --set tier=gold
err_has "tier"
expect 1 plan intercept-customer --set colour=blue
err_has "colour"

expect 0 checklist intercept-customer
out_has 'name: "Offboard an Intercept customer"'
out_has "- [ ] CSM >> Customer has sent a notice of contract termination"
out_has "### tier: fullstack"
out_has "### tier: premium"
out_has "(irreversible)"
expect 0 checklist intercept-customer --set tier=csp
out_has "~~CSM >> Set up a meeting with the customer and the new MSP~~ (does not apply"
expect 1 checklist intercept-customer --set tier=nope

# ----------------------------------------------------------------- Pzzle

# The story of the knowledge-base article: the order is strict, and the
# command refuses, with the reason, every step taken too early.
J=$T/acme.ofbj
expect 0 start pzzle-customer "$J" --set customer=Acme --by alice
out_has "Started offboarding 'acme'"
out_has "sync_job_off"
expect 3 start pzzle-customer "$J"
err_has "exists already"

expect 1 done "$J" tags_removed
err_has "cannot complete 'tags_removed'"
err_has "prerequisite 'relationships_removed' is not done"
err_has "(role: admin)"
expect 1 done "$J" no_such_step
err_has "no_such_step"
expect 1 skip "$J" sync_job_off --why "not needed"
err_has "sync_job_off"
expect 2 skip "$J" sync_job_off
err_has "--why"
expect 1 signal "$J" no_such_event
err_has "no_such_event"
expect 2 set "$J" customer
expect 1 set "$J" colour=blue
err_has "colour"

expect 0 done "$J" sync_job_off --by alice --note "user import job off" \
    --evidence ticket=T-1001 --evidence screenshot=sha256:ab12
out_has "done: sync_job_off (by alice)"
out_has "schema_tags_off"
expect 1 done "$J" sync_job_off
err_has "sync_job_off"

expect 0 next "$J"
out_has "do       schema_tags_off"
expect 0 next "$J" --role admin
out_has "schema_tags_off"
expect 0 next "$J" --role csm
out_has "nothing can be done now by role csm"

expect 0 status "$J"
out_has "[##..................] 1/10 done"
out_has "who must act: admin (1)"
out_has "waits for 'schema_tags_off'"
expect 0 status "$J" --json
out_has '"workflow": "pzzle-customer"'
out_has '"status": "active"'
out_has '"kind": "do"'
out_has '"done": 1'
if command -v python3 >/dev/null 2>&1; then
    if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out"; then ok; else bad "status --json is not JSON"; fi
fi

for s in schema_tags_off relationships_removed tags_removed \
    offboarding_complete_tag agreements_expired subspace_removed \
    customer_schema_off subspace_archived; do
    expect 0 done "$J" "$s" --by bob
done
expect 0 done "$J" support_request --by bob --evidence request=SR-77
out_has "waits for event 'support_confirmed'"
expect 0 next "$J"
out_has "[event: support_confirmed]"
expect 0 checklist "$J"
out_has "- [x] Admin >> Remove the user sync job (done by alice, 2026-11-23 08:00 UTC)"
out_has "(waiting for event 'support_confirmed')"
expect 0 dot "$J"
out_has "state: done"
out_has '#b7e4b0'
expect 0 mermaid "$J"
out_has "class s0 done"
OFB_NOW=1795424400 expect 0 signal "$J" support_confirmed --by pzzle-support
out_has "The offboarding is complete"
expect 0 status "$J"
out_has "[####################] 10/10 done"
out_has "The offboarding is complete."
expect 1 done "$J" sync_job_off
expect 0 log "$J"
out_has "alice"
out_has "note=\"user import job off\""
out_has "evidence ticket=T-1001"
out_has "support_confirmed"
out_has "2026-11-23 09:00:00"
expect 0 log "$J" --verify
out_has "hash chain intact: 14 records"

# ----------------------------------------------------------------- every built-in

# drive JOURNAL [K=V ...]: acts on what `ofb next` offers until the run is
# complete; when only an input can move it, sets it from the K=V given.
drive() {
    dj=$1
    shift
    answers=$*
    i=0
    while [ $i -lt 100 ]; do
        i=$((i + 1))
        if ! "$OFB" next "$dj" >"$T/next" 2>"$T/err"; then bad "next $dj"; return; fi
        if grep -q '^nothing: the offboarding is complete' "$T/next"; then
            ok
            return
        fi
        line=$(grep -m 1 '^  [a-z]' "$T/next")
        if [ -z "$line" ]; then
            "$OFB" status "$dj" --json >"$T/json" 2>"$T/err"
            need=$(sed -n 's/.*"kind": "input", "event": "", "detail": "\([^"]*\)".*/\1/p' "$T/json" | head -n 1)
            val=
            for kv in $answers; do
                case $kv in "$need="*) val=${kv#*=} ;; esac
            done
            if [ -z "$need" ] || [ -z "$val" ]; then bad "$dj is stuck"; cat "$T/next" >&2; return; fi
            expect 0 set "$dj" "$need=$val"
            continue
        fi
        kind=$(echo "$line" | awk '{print $1}')
        step=$(echo "$line" | awk '{print $2}')
        case $kind in
        do) expect 0 done "$dj" "$step" --by tech --note "done from the checklist" ;;
        confirm)
            expect 1 done "$dj" "$step"
            err_has "confirm"
            expect 0 confirm "$dj" "$step" --by lead
            ;;
        event)
            ev=$(echo "$line" | sed -n 's/.*\[event: \([^]]*\)\].*/\1/p')
            expect 0 signal "$dj" "$ev" --by customer
            ;;
        *) bad "$dj: cannot act on '$line'"; return ;;
        esac
    done
    bad "$dj did not complete"
}

J=$T/autotask.ofbj
expect 0 start autotask-msp-customer "$J" --set customer=Globex --set remote_appointment=true
expect 1 skip "$J" ticket_created --why "exists"
err_has "ticket_created"
for s in ticket_created category_set checklist_added required_info; do
    expect 0 done "$J" "$s"
done
expect 0 skip "$J" scheduling_link_sent --why "customer declined the appointment" --by carol
out_has "skipped: scheduling_link_sent"
drive "$J"
expect 0 status "$J"
out_has "6/7 done, 1 skipped"
expect 0 checklist "$J"
out_has "(skipped by carol, 2026-11-23 08:00 UTC: customer declined the appointment)"

J=$T/rmm.ofbj
expect 1 start rmm-remove-contact "$J" --set user=jdoe
err_has "checklist"
if [ -e "$J" ]; then bad "a refused start left $J behind"; else ok; fi
expect 1 start rmm-remove-contact "$J" --set checklist=special
if [ -e "$J" ]; then bad "a refused start left $J behind"; else ok; fi
expect 0 start rmm-remove-contact "$J" --set user=jdoe --set checklist=generic
drive "$J"
expect 0 status "$J"
out_has "6/7 done, 1 skipped"

J=$T/xpm.ofbj
expect 0 start xpm-nimbus-client "$J" --set client=Initech --set practice_manager=xpm --set cdm=false
expect 1 set "$J" cdm=maybe
err_has "cdm"
drive "$J" entity_deleted=false contacts_with_logins=true delete_documents=true
expect 0 status "$J"
out_has "9/11 done, 2 skipped"

# A check done by a person records its finding in the same record.
J=$T/xpm-check.ofbj
expect 0 start xpm-nimbus-client "$J" --set practice_manager=xpm --set cdm=true
expect 0 done "$J" history_exported
expect 0 confirm "$J" archived_in_xpm
expect 0 done "$J" archived_in_xpm
expect 0 done "$J" full_sync
expect 0 signal "$J" nimbus_sync_done
expect 1 done "$J" entity_checked --set entity_deleted=maybe
err_has "'maybe' is not a bool"
expect 0 done "$J" entity_checked --set entity_deleted=false
expect 0 next "$J"
out_has "entity_deleted_manually"
expect 0 log "$J"
out_has "set entity_deleted=false"

J=$T/intercept.ofbj
expect 0 start intercept-customer "$J" --set tier=premium --set contract_end=2026-12-31 --set new_supplier=Contoso
drive "$J"
expect 0 status "$J"
out_has "17/18 done, 1 skipped"
expect 0 log "$J" --verify

J=$T/pzzle2.ofbj
expect 0 start pzzle-customer "$J"
drive "$J"

# ----------------------------------------------------------------- two writers

J=$T/busy.ofbj
expect 0 start pzzle-customer "$J"
if command -v python3 >/dev/null 2>&1; then
    # A second technician's command holds the journal (an fcntl lock, as
    # the file store takes) while this one tries to write.
    python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(3)
' "$J" "$T/locked" &
holder=$!
k=0
while [ ! -e "$T/locked" ] && [ $k -lt 100 ]; do sleep 0.05; k=$((k + 1)); done
OFB_LOCK_TIMEOUT_MS=100 expect 3 done "$J" sync_job_off
err_has "in use"
# Readers take no lock: status still works.
expect 0 status "$J"
wait $holder
fi
# Two writers at once: the lock makes them take turns, both succeed.
"$OFB" done "$J" sync_job_off >"$T/w1" 2>&1 &
p1=$!
"$OFB" set "$J" customer=Acme >"$T/w2" 2>&1 &
p2=$!
if wait $p1 && wait $p2; then ok; else bad "two writers in turn"; cat "$T/w1" "$T/w2" >&2; fi
expect 0 log "$J" --verify
out_has "4 records"

# ----------------------------------------------------------------- damage

J=$T/damaged.ofbj
expect 0 start pzzle-customer "$J"
expect 0 done "$J" sync_job_off
expect 0 done "$J" schema_tags_off
# Alter one character of record 2 (line 3), which good records follow: the
# line's check and the hash chain both show it.
awk 'NR == 3 { sub(/sync_job_off/, "sync_job_of0") } { print }' "$J" >"$T/tmp" && cat "$T/tmp" >"$J"
expect 3 status "$J"
err_has "$J:3:"
expect 3 done "$J" relationships_removed
err_has "line 3"
expect 3 log "$J" --verify
err_has "$J:3:"
expect 3 log "$J"
expect 3 checklist "$J"

# A torn last line (a crash mid-write) is dropped and said so.
J=$T/torn.ofbj
expect 0 start pzzle-customer "$J"
printf '4 complete step=sync_job_off' >>"$J"
expect 0 done "$J" sync_job_off
err_has "incomplete"
expect 0 log "$J" --verify
out_has "3 records"

expect 3 status "$T/no-such-journal"
expect 3 status "$T"

# ----------------------------------------------------------------- import

MD=$DATA/intercept-checklist.md
expect 0 import-checklist "$MD"
cp "$T/out" "$T/intercept.ofb"
err_has "guess:"
err_has "are alternatives"
err_has "input 'tier'"
expect 0 check "$T/intercept.ofb"
expect 0 show "$T/intercept.ofb"
out_has "tier                 choice(full_stack, premium, csp) required"
out_has "role: practice-lead-managed-services"

# For each tier, the plan is exactly the seed's Stage 0 and that tier's list.
seed_list() { # seed_list SECTION: the "- [ ]" steps of Stage 0, then SECTION
    awk -v want="$1" '
        /^### / { sec = substr($0, 5); sub(/[ \t]+$/, "", sec); next }
        /^[ \t]*- \[ \]/ {
            line = $0
            sub(/^[ \t]*- \[ \][ \t]*/, "", line)
            sub(/[ \t]+$/, "", line)
            if (line ~ /"$/) next # a detail line: an input, not a step
            if (sec == "Stage 0") s0 = s0 line "\n"
            else if (sec == want) st = st line "\n"
        }
        END { printf "%s%s", s0, st }' "$MD"
}
for pair in "full_stack:Full Stack offboarding" "premium:Premium offboarding" \
    "csp:CSP offboarding"; do
    tier=${pair%%:*}
    section=${pair#*:}
    expect 0 plan "$T/intercept.ofb" --set "tier=$tier"
    sed -n 's/^ *[0-9]*\. run  *[^ ]*  *//p' "$T/out" | sed 's/  \[irreversible\]$//' >"$T/plan.txt"
    seed_list "$section" >"$T/seed.txt"
    if [ -s "$T/seed.txt" ] && cmp -s "$T/plan.txt" "$T/seed.txt"; then ok; else
        bad "plan for tier=$tier differs from the checklist's '$section'"
        diff "$T/seed.txt" "$T/plan.txt" >&2
    fi
done
# The imported workflow runs like any other.
J=$T/imported.ofbj
expect 0 start "$T/intercept.ofb" "$J" --set tier=csp
drive "$J"

printf '# Nothing here\n\nJust prose.\n' >"$T/empty.md"
expect 1 import-checklist "$T/empty.md"
err_has "no checklist items"
expect 3 import-checklist "$T/none.md"
# Hostile input: binary noise never crashes the importer.
head -c 65536 /dev/urandom >"$T/noise.md" 2>/dev/null
run import-checklist "$T/noise.md"
if [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]; then ok; else bad "import of noise: exit $rc"; fi

# ----------------------------------------------------------------- result

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
