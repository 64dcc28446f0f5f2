#!/bin/sh
# A short tour of fw on the real trajectories in ../shared/data: a fresh store
# in a temporary directory, the three public formats imported and committed,
# history, records, an upsert, a relabel and a deletion, and the git side.
# `make demo` runs it with FW set to the built binary; FW_DATA overrides the
# data folder. Exits non-zero on the first command that fails.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
FW=${FW:-$root/build/fw}
FW_DATA=${FW_DATA:-$root/../shared/data}
case $FW in /*) ;; *) FW=$(pwd)/$FW ;; esac
traj=$FW_DATA/trajectories
for f in "$traj/tau-bench/gpt-4o-airline.json" "$traj/hh-rlhf/harmless-base-test.jsonl.gz"; do
	[ -f "$f" ] || { echo "demo: $f is missing; set FW_DATA to the shared data folder" >&2; exit 1; }
done
[ -x "$FW" ] || { echo "demo: no fw binary at $FW (run make)" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/fw-demo-XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"

# Fixed author and clock: the same commit ids on every run and machine.
export FW_AUTHOR_NAME=demo FW_AUTHOR_EMAIL=demo@example.com
now=1700000000000000000
export FW_NOW=$now
tick() { now=$((now + 60000000000)); FW_NOW=$now; export FW_NOW; }

fw() { "$FW" "$@"; }
section() { printf '\n== %s\n' "$*"; }
say() { printf '$ %s\n' "$*"; }
# quoted ARG...: the arguments as a shell would need them typed
quoted() {
	out=
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9_./@:=~^+-]*|"") a="'$a'" ;;
		esac
		out="$out${out:+ }$a"
	done
	printf '%s' "$out"
}
# run CMD...: show the command, then run it (fw stands for the binary)
run() { say "$(quoted "$@")"; "$@"; }
# short: at most 200 characters a line, at most N (default 3) lines
short() { cut -c 1-200 | head -n "${1:-3}"; }
if command -v jq >/dev/null 2>&1; then
	have_jq=1
else
	have_jq=0
	echo "(jq is not installed: records are shown raw)"
fi

section "a store and two corpora"
run fw init
run fw corpus create live
run fw corpus create dpo
run fw corpus list

section "tau-bench: 200 airline runs of gpt-4o, one JSON array"
tick
run fw add live "$traj/tau-bench/gpt-4o-airline.json" --format tau-bench
run fw status live
run fw commit live -m "import tau-bench airline runs (gpt-4o)" \
	--trailer "Source: sierra-research/tau-bench@59a200c6"

section "SWE-agent: one .traj file per run"
tick
say "fw add live $traj/swe-agent/*.traj"
fw add live "$traj"/swe-agent/*.traj
run fw commit live -m "import SWE-agent demonstrations" \
	--trailer "Source: princeton-nlp/SWE-agent@0772c99c"

section "hh-rlhf: 2,312 preference pairs, gzipped JSON lines"
tick
run fw add dpo "$traj/hh-rlhf/harmless-base-test.jsonl.gz" --format hh-rlhf
run fw commit dpo -m "import hh-rlhf harmless-base test pairs" \
	--trailer "Source: anthropics/hh-rlhf@354e5c3c"

section "history and totals"
run fw log live --oneline
run fw log live -n 1
run fw show live
run fw show dpo --json

section "records"
# The id is the first field of every record fw prints (schema order).
first_id() { sed -n '1s/^{"id":"\([^"]*\)".*/\1/p'; }
tau_id=$(fw cat live --limit 1 | first_id)
if [ "$have_jq" = 1 ]; then
	say "fw cat live --id $tau_id | jq -c '{id, source, reward, messages: (.messages | length)}'"
	fw cat live --id "$tau_id" | jq -c '{id, source, reward, messages: (.messages | length)}'
	dpo_view='{id, prompt_turns: (.prompt | length), chosen: (.chosen | tostring | .[0:70]), rejected: (.rejected | tostring | .[0:70])}'
	say "fw cat dpo --limit 2 | jq -c '$dpo_view'"
	fw cat dpo --limit 2 | jq -c "$dpo_view"
else
	say "fw cat live --id $tau_id | cut -c 1-200"
	fw cat live --id "$tau_id" | short 1
	say "fw cat dpo --limit 2 | cut -c 1-200"
	fw cat dpo --limit 2 | short 2
fi

section "curating: an upsert, a relabel, a deletion"
tick
cat >review.jsonl <<'EOF'
{"id":"demo/hand-written","source":"demo","messages":[{"role":"user","content":"Change my flight to Friday."},{"role":"assistant","content":"Done: you fly on Friday at 9:05."}],"reward":1}
EOF
run fw add live review.jsonl
run fw commit live -m "add one hand-written trajectory"
tick
cat >review.jsonl <<'EOF'
{"id":"demo/hand-written","source":"demo","messages":[{"role":"user","content":"Change my flight to Friday."},{"role":"assistant","content":"Which reservation? I see two."}],"reward":0.5,"tags":["reviewed"]}
EOF
say "fw add live review.jsonl        # the same id: an upsert replaces the record"
fw add live review.jsonl
printf '{"id":"%s","reward":0.0,"tags":["relabelled"]}\n' "$tau_id" >relabel.jsonl
run cat relabel.jsonl
run fw add live relabel.jsonl --patch
swe_id=$(fw cat live | grep '^{"id":"swe-agent/' | first_id || true)
if [ -n "$swe_id" ]; then
	run fw rm live "$swe_id"
fi
run fw status
run fw commit live -m "review: fix the hand-written run, relabel one reward" \
	--trailer "Reviewed-By: demo" --json
say "fw cat live --id demo/hand-written --id $tau_id | cut -c 1-200"
fw cat live --id demo/hand-written --id "$tau_id" | short 2
run fw log live --oneline
say "fw show live@main~1 | tail -n 4"
fw show live@main~1 | tail -n 4

section "branches and tags: review on a branch, promote, pin, roll back"
run fw tag live@v1 -m "first reviewed import"
run fw branch live@cleanup
run fw switch live@cleanup
printf '{"id":"demo/hand-written","reward":1.0}\n' >fix.jsonl
run fw add live fix.jsonl --patch
run fw commit live -m "cleanup: reward the hand-written run"
run fw switch live@main
run fw status live
run fw reset live@main live@cleanup
run fw tag live@v2 -m "after cleanup"
run fw tag --list live
run fw reflog live@main
run fw reset live@main live@main@{1}
say "fw cat live@v2 --id demo/hand-written   # a tag never moves"
fw cat live@v2 --id demo/hand-written | short 1
run fw branch --list live

section "the git side: every version is a git commit"
run git --git-dir=.fw/git log --graph --all --oneline --decorate
run git --git-dir=.fw/git ls-tree refs/heads/live/main
say "git --git-dir=.fw/git show refs/heads/live/main:DATA"
git --git-dir=.fw/git show refs/heads/live/main:DATA
printf '\ndemo: done (store in %s, removed on exit)\n' "$dir"
