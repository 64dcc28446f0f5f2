#!/bin/sh
# Concurrency: 8 fw add processes at once (10,000 records each) while another
# process commits in a loop: at the end every record is committed exactly
# once. Two fw commit of the same branch at the same moment: one wins, the
# other fails at once with a clear message and its staged data stays staged.
. "$(dirname "$0")/lib.sh"

"$FW" init >/dev/null
"$FW" corpus create live >/dev/null
for w in 1 2 3 4 5 6 7 8; do
	awk -v w=$w 'BEGIN { for (i = 0; i < 10000; i++)
		printf "{\"id\":\"w%d-%05d\",\"reward\":%d,\"text\":\"worker %d step %d\"}\n", w, i, i % 3, w, i }' >in$w.jsonl
done

# The committer: commits until the adders are done and nothing is staged. A
# commit that finds the lock taken (another commit) is retried; one that
# finds nothing staged waits a little.
committer() {
	commits=0 locked=0
	while :; do
		done_adding=0
		[ -f adders.done ] && done_adding=1
		out=$("$FW" commit live -m "batch" 2>&1); rc=$?
		if [ $rc -eq 0 ]; then
			commits=$((commits + 1))
		elif echo "$out" | grep -q "another commit of corpus 'live' is running"; then
			locked=$((locked + 1))
		elif echo "$out" | grep -q "nothing staged"; then
			[ $done_adding -eq 1 ] && break
			sleep 0.05
		else
			echo "committer: unexpected: $out"
			echo fail >committer.failed
			break
		fi
	done
	echo "$commits $locked" >committer.out
}
# Round 1, as the issue says: 8 fw add processes of 10,000 records each.
committer &
cpid=$!
pids=
for w in 1 2 3 4 5 6 7 8; do
	"$FW" add live in$w.jsonl >add$w.out 2>&1 &
	pids="$pids $!"
done
addfail=0
for p in $pids; do wait "$p" || addfail=$((addfail + 1)); done
touch adders.done
wait "$cpid"
echo "round 1: $(cut -d' ' -f1 committer.out) commits, $(cut -d' ' -f2 committer.out) retries on the lock"
expect_eq "every fw add succeeded" "$addfail" 0
expect_eq "the committer saw nothing unexpected" "$([ -f committer.failed ] && echo failed)" ""
expect_eq "nothing is left staged" "$("$FW" status live --json | jq '.segments')" 0
"$FW" cat live | jq -r .id | sort >ids
expect_eq "80,000 records committed" "$(wc -l <ids)" 80000
expect_eq "each exactly once" "$(uniq -d ids | wc -l)" 0
expect_eq "all of them" "$(cat in*.jsonl | jq -r .id | sort | cmp -s - ids && echo same)" same
check "git fsck" git --git-dir=.fw/git fsck

# Round 2: 8 writers each run fw add 10 times (1,000 records each, new ids and
# updates of round 1's), so that commits land between the batches.
rm -f adders.done committer.out
committer &
cpid=$!
pids=
for w in 1 2 3 4 5 6 7 8; do
	(
		for b in 0 1 2 3 4 5 6 7 8 9; do
			awk -v w=$w -v b=$b 'BEGIN { for (i = 0; i < 1000; i++)
				printf "{\"id\":\"w%d-%05d\",\"reward\":%d}\n", w, (b % 2 ? 10000 : 0) + b * 1000 + i, 9 }' |
			    "$FW" add live - >/dev/null 2>&1 || exit 1
		done
	) &
	pids="$pids $!"
done
addfail=0
for p in $pids; do wait "$p" || addfail=$((addfail + 1)); done
touch adders.done
wait "$cpid"
commits=$(cut -d' ' -f1 committer.out)
echo "round 2: $commits commits, $(cut -d' ' -f2 committer.out) retries on the lock"
expect_eq "round 2: every fw add succeeded" "$addfail" 0
expect_eq "round 2: the committer saw nothing unexpected" "$([ -f committer.failed ] && echo failed)" ""
expect_eq "round 2: nothing is left staged" "$("$FW" status live --json | jq '.segments')" 0
"$FW" cat live | jq -r .id | sort >ids
# odd batches add ids 10000 + ..., even batches update round 1's ids
expect_eq "round 2: 120,000 records" "$(wc -l <ids)" 120000
expect_eq "round 2: each exactly once" "$(uniq -d ids | wc -l)" 0
expect_eq "round 2: every staged record took effect" "$("$FW" cat live --where 'reward == 9' | wc -l)" 80000
expect_eq "round 2: commits landed between batches" "$([ "$commits" -ge 2 ] && echo yes)" yes
check "round 2: git fsck" git --git-dir=.fw/git fsck

# Two commits at the same moment. First deterministically: while one holds
# the corpus lock, the other fails at once and its batch stays staged.
printf '{"id":"x1"}\n{"id":"x2"}\n' >x.jsonl
"$FW" add live x.jsonl >/dev/null
head=$(git --git-dir=.fw/git rev-parse refs/heads/live/main)
flock .fw/locks/live.lock sleep 3 &
fpid=$!
sleep 0.3
t0=$(date +%s%N)
expect_fail "a commit while another holds the lock" 1 "another commit of corpus 'live' is running; its staged data stays staged, try again" "$FW" commit live -m second
t1=$(date +%s%N)
expect_eq "it fails at once (not waiting for the lock)" "$([ $(( (t1 - t0) / 1000000 )) -lt 2000 ] && echo fast)" fast
expect_eq "its data stays staged" "$("$FW" status live --json | jq -c '[.segments,.add]')" "[1,2]"
expect_eq "the branch did not move" "$(git --git-dir=.fw/git rev-parse refs/heads/live/main)" "$head"
wait $fpid

# Then for real: two commits started together; exactly one applies the batch.
"$FW" commit live -m first >c1.out 2>&1 &
p1=$!
"$FW" commit live -m second >c2.out 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
expect_eq "one commit wins" "$(( (r1 == 0) + (r2 == 0) ))" 1
loser=$([ $r1 -eq 0 ] && cat c2.out || cat c1.out)
expect_eq "the other fails with a clear message" "$(echo "$loser" | grep -c "another commit of corpus 'live' is running\|nothing staged for live@main")" 1
expect_eq "the batch was applied once" "$("$FW" cat live | wc -l)" 120002
expect_eq "nothing staged after" "$("$FW" status live --json | jq .segments)" 0
expect_eq "one commit more" "$(git --git-dir=.fw/git rev-list --count refs/heads/live/main ^"$head")" 1
# A reset while a commit runs: the commit's compare-and-swap fails, it says
# so, and its data stays staged (FW_TEST_PAUSE_BEFORE_MOVE holds the commit
# just before it moves the branch until the test says go).
printf '{"id":"y1"}\n' >y.jsonl
"$FW" add live y.jsonl >/dev/null
before=$(git --git-dir=.fw/git rev-parse refs/heads/live/main)
FW_TEST_PAUSE_BEFORE_MOVE=$T/pause "$FW" commit live -m racing >c3.out 2>&1 &
p3=$!
i=0
while [ ! -f "$T/pause.ready" ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i + 1)); done
"$FW" reset live@main main~1 >/dev/null
touch "$T/pause.go"
wait $p3; r3=$?
expect_eq "the commit lost the race" "$r3" 1
expect_eq "and says why" "$(cat c3.out)" "fw: live@main moved while committing; staged data stays staged, commit again"
expect_eq "the reset stands" "$(git --git-dir=.fw/git rev-parse refs/heads/live/main)" "$(git --git-dir=.fw/git rev-parse "$before~1")"
expect_eq "the batch is still staged" "$("$FW" status live --json | jq -c '[.segments,.add]')" "[1,1]"
expect_eq "committing again applies it" "$("$FW" commit live -m again >/dev/null && "$FW" cat live --id y1)" '{"id":"y1"}'
check "git fsck at the end" git --git-dir=.fw/git fsck
finish
