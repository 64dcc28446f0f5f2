#!/usr/bin/env bash
# The store benchmark (`make bench`): fw against zstd -3 and git on generated
# trajectories, all in one run, ending in a Markdown table of absolute figures
# and ratios (also written to $FW_BENCH_OUT/results.md).
#
# Environment:
#   FW               the fw binary (default build/fw)
#   FW_BENCH_QUICK=1 about 50 MB and 50,000 records: a run of a minute or two
#   FW_BENCH_BYTES   size of the mixed corpus file (default 1G; suffixes K M G)
#   FW_BENCH_RECORDS records in the small-record corpus (default 1000000)
#   FW_BENCH_DIR     scratch folder (default /tmp/fw-bench), removed at the end
#   FW_BENCH_KEEP=1  keep the scratch folder
#   FW_BENCH_OUT     where results.md goes (default tests/bench/out)
#   FW_BENCH_REPEAT  runs of zstd and of fw ingest, the best counting (default 3)
#   FW_DATA          shared data folder (default ../shared/data)
# Bash, not POSIX sh (associative arrays); `sh run.sh`, as make calls it,
# starts it again under bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
export LC_ALL=C

root=$(cd "$(dirname "$0")/../.." && pwd)
gen="$root/tests/bench/gen_corpus.py"

die() { echo "bench: $*" >&2; exit 1; }

FW=${FW:-$root/build/fw}
case $FW in /*) ;; *) FW=$(pwd)/$FW ;; esac
for tool in python3 zstd git du find awk; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found: install it (Debian: apt-get install $tool) and run again"
done
[ -x "$FW" ] || die "fw binary not found at $FW: run make, or set FW"

if [ -x /usr/bin/time ]; then
	have_time=1
else
	have_time=0
	echo "bench: /usr/bin/time is missing (Debian package 'time'): peak memory will read n/a"
fi

if [ "${FW_BENCH_QUICK:-0}" = 1 ]; then
	def_bytes=50M def_records=50000 dd_mb=200
else
	def_bytes=1G def_records=1000000 dd_mb=2000
fi
to_bytes() { python3 -c 'import re,sys; m=re.fullmatch(r"([0-9.]+)([kKmMgG]?)",sys.argv[1]) or sys.exit("bad size "+sys.argv[1]); print(int(float(m[1])*{"":1,"k":1<<10,"m":1<<20,"g":1<<30}[m[2].lower()]))' "$1"; }
BYTES=$(to_bytes "${FW_BENCH_BYTES:-$def_bytes}") || die "bad FW_BENCH_BYTES"
RECORDS=${FW_BENCH_RECORDS:-$def_records}
case $RECORDS in ''|*[!0-9]*) die "bad FW_BENCH_RECORDS: $RECORDS" ;; esac
[ "$RECORDS" -ge 2000 ] || die "FW_BENCH_RECORDS must be at least 2000"
CHANGE=1000
DIR=${FW_BENCH_DIR:-/tmp/fw-bench}
OUT=${FW_BENCH_OUT:-$root/tests/bench/out}

# Disk: the corpus file, its .zst files, the fw store, git's loose object and
# pack, the small-record corpus and its store, and the dd test file.
small_bytes=$((RECORDS * 1400))
need=$((BYTES * 3 + small_bytes * 2 + dd_mb * 1048576))
mkdir -p "$DIR" "$OUT"
avail=$(($(df -Pk "$DIR" | awk 'NR==2 {print $4}') * 1024))
echo "bench: corpus ${BYTES} bytes, small corpus ${RECORDS} records (~${small_bytes} bytes)"
echo "bench: scratch $DIR needs about $((need >> 20)) MiB of disk; $((avail >> 20)) MiB free"
[ "$avail" -gt "$need" ] || die "not enough disk under $DIR (set FW_BENCH_DIR or FW_BENCH_QUICK=1)"
[ -z "$(ls -A "$DIR" 2>/dev/null)" ] || die "$DIR is not empty: remove it or set FW_BENCH_DIR"

cleanup() {
	if [ "${FW_BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

# --- measuring ---------------------------------------------------------------
# timed NAME OUTFILE CMD...: runs CMD with stdout to OUTFILE; sets T[NAME]
# (seconds, wall clock), M[NAME] (peak resident set, KiB) and S[NAME] (CPU
# seconds in the kernel: on a virtual machine, writing into page-cache pages
# the guest has not used lately shows up here, not in the work).
declare -A T M S
timed() {
	local name=$1 out=$2 tf="$DIR/.time" s e
	shift 2
	s=$(date +%s.%N)
	if [ $have_time = 1 ]; then
		/usr/bin/time -f '%S %M' -o "$tf" "$@" >"$out" || die "$name failed: $*"
		read -r S[$name] M[$name] < <(tail -n 1 "$tf")
	else
		"$@" >"$out" || die "$name failed: $*"
		M[$name]=n/a S[$name]=n/a
	fi
	e=$(date +%s.%N)
	T[$name]=$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.3f", e - s}')
	printf '  %-22s %8s s  %10s KiB peak  %6s s sys\n' "$name" "${T[$name]}" "${M[$name]}" "${S[$name]}"
}
fsize() { wc -c <"$1" | tr -d ' '; }
objbytes() { du -sb "$1/.fw/objects" 2>/dev/null | cut -f1; }
objcount() { find "$1/.fw/objects" -type f 2>/dev/null | wc -l | tr -d ' '; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
mbps() { awk -v b="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.1f", b / t / 1e6; else print "inf" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f%%", 100 * a / b; else print "n/a" }'; }
mib() { awk -v k="$1" 'BEGIN { if (k == "n/a") print k; else printf "%.0f", k / 1024 }'; }
human() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

# commit_json STORE CORPUS MSG NAME: fw commit, preferring --json; keeps
# objects_written / bytes_written as FWO[NAME] / FWB[NAME] when fw reports them.
declare -A FWO FWB
commit_json() {
	local store=$1 corpus=$2 msg=$3 name=$4 out="$DIR/.commit.out"
	if [ -z "${json_ok:-}" ]; then
		if "$FW" -C "$store" commit --help 2>&1 | grep -q -- --json; then json_ok=1; else json_ok=0; fi
	fi
	if [ "$json_ok" = 1 ]; then
		timed "$name" "$out" "$FW" -C "$store" commit "$corpus" -m "$msg" --json
		read -r FWO[$name] FWB[$name] < <(python3 -c '
import json, sys
try:
    d = json.loads(open(sys.argv[1]).read())
    print(d.get("objects_written", "-"), d.get("bytes_written", "-"))
except ValueError:
    print("- -")' "$out")
	else
		timed "$name" "$out" "$FW" -C "$store" commit "$corpus" -m "$msg"
		FWO[$name]=- FWB[$name]=-
	fi
}

NOW=1700000000000000000
fw_add() { # NAME STORE CORPUS FILE [--patch]
	local name=$1 store=$2 corpus=$3 file=$4
	shift 4
	NOW=$((NOW + 1000000000))
	FW_NOW=$NOW timed "$name" /dev/null "$FW" -C "$store" add "$corpus" "$file" "$@"
}

# --- the machine ----------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null || echo unknown)
ncpu=$(nproc)
fwrev=$(git -C "$(dirname "$FW")" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ "$fwrev" != unknown ] && [ -n "$(git -C "$(dirname "$FW")" status --porcelain --untracked-files=no 2>/dev/null)" ] && fwrev="$fwrev (dirty)"
fwver=$("$FW" --version 2>/dev/null | head -n 1 || true)

echo "== disk: dd of ${dd_mb} MiB with fdatasync"
s=$(date +%s.%N)
dd if=/dev/zero of="$DIR/dd.tmp" bs=1M count="$dd_mb" conv=fdatasync 2>/dev/null
e=$(date +%s.%N)
rm -f "$DIR/dd.tmp"
disk_mbps=$(awk -v s="$s" -v e="$e" -v n="$dd_mb" 'BEGIN {printf "%.0f", n * 1048576 / (e - s) / 1e6}')
echo "  $disk_mbps MB/s"

# --- a. the mixed corpus, and zstd -3 ------------------------------------------------
echo "== a. generate ${BYTES} bytes of mixed trajectories; zstd -3"
corpus="$DIR/corpus.jsonl"
timed gen "$corpus" python3 "$gen" --shape mixed --seed 1 --bytes "$BYTES"
B=$(fsize "$corpus")
N=$(wc -l <"$corpus" | tr -d ' ')
gen_mbps=$(mbps "$B" "${T[gen]}")
# zstd and fw ingest run REPEAT times each (the best run counts, every run is
# printed): on a virtual machine the first touch of fresh memory can cost more
# than the work, and that should not decide the comparison either way.
REPEAT=${FW_BENCH_REPEAT:-3}
declare -A RUNS
best_of() { # NAME OUTFILE CMD...: timed, REPEAT times; T[NAME] the fastest
	local name=$1 out=$2 best="" r
	shift 2
	RUNS[$name]=""
	for r in $(seq "$REPEAT"); do
		timed "$name" "$out" "$@"
		RUNS[$name]="${RUNS[$name]}${RUNS[$name]:+, }${T[$name]}"
		if [ -z "$best" ] || awk -v a="${T[$name]}" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=${T[$name]}
			bestm=${M[$name]}
		fi
	done
	T[$name]=$best
	M[$name]=$bestm
}
best_of zstd_t1 "$DIR/corpus.jsonl.zst" zstd -3 -T1 -q -c "$corpus"
Z1=$(fsize "$DIR/corpus.jsonl.zst")
best_of zstd_t2 "$DIR/corpus.t2.zst" zstd -3 -T2 -q -c "$corpus"
Z2=$(fsize "$DIR/corpus.t2.zst")
rm -f "$DIR/corpus.t2.zst"

# --- b. fw ingest ---------------------------------------------------------------
echo "== b. fw add + fw commit of the same file"
store="$DIR/fw"
fw_total="" RUNS[fw_total]=""
for r in $(seq "$REPEAT"); do
	rm -rf "$store"
	"$FW" init "$store" >/dev/null || die "fw init failed"
	"$FW" -C "$store" corpus create bench >/dev/null || die "fw corpus create failed"
	fw_add fw_add_r "$store" bench "$corpus"
	commit_json "$store" bench "bench corpus" fw_commit_r
	tot=$(calc "${T[fw_add_r]} + ${T[fw_commit_r]}")
	FW_TOTS="${FW_TOTS:-} $tot"
	RUNS[fw_total]="${RUNS[fw_total]}${RUNS[fw_total]:+, }$tot (${T[fw_add_r]} + ${T[fw_commit_r]}; add's kernel time ${S[fw_add_r]})"
	if [ -z "$fw_total" ] || awk -v a="$tot" -v b="$fw_total" 'BEGIN { exit !(a < b) }'; then
		fw_total=$tot
		for k in fw_add fw_commit; do
			T[$k]=${T[${k}_r]}
			M[$k]=${M[${k}_r]}
		done
		FWO[fw_commit]=${FWO[fw_commit_r]}
		FWB[fw_commit]=${FWB[fw_commit_r]}
	fi
done
median() { tr ', ' '\n\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
fw_median=$(echo "$FW_TOTS" | median)
z1_median=$(echo "${RUNS[zstd_t1]}" | median)
FS=$(du -sb "$store/.fw" | cut -f1)
FSO=$(objbytes "$store")

# --- c. git -----------------------------------------------------------------------
echo "== c. git add + git commit + git gc of the same file"
gitdir="$DIR/git"
mkdir -p "$gitdir"
git -C "$gitdir" init -q
ln "$corpus" "$gitdir/corpus.jsonl" 2>/dev/null || cp "$corpus" "$gitdir/corpus.jsonl"
timed git_add /dev/null git -C "$gitdir" add corpus.jsonl
timed git_commit /dev/null git -C "$gitdir" -c user.name=bench -c user.email=bench@example.com commit -q -m corpus
git_total=$(calc "${T[git_add]} + ${T[git_commit]}")
GL=$(du -sb "$gitdir/.git" | cut -f1)
timed git_gc /dev/null git -C "$gitdir" gc -q
GS=$(du -sb "$gitdir/.git" | cut -f1)
rm -rf "$gitdir"

# --- d. fw cat -------------------------------------------------------------------
echo "== d. fw cat of the whole corpus"
timed fw_cat /dev/null "$FW" -C "$store" cat bench
read -r catn catb < <("$FW" -C "$store" cat bench | wc -lc)
[ "$catn" = "$N" ] || die "fw cat gave $catn records, the corpus has $N"
cat_mbps=$(mbps "$catb" "${T[fw_cat]}")
rm -rf "$store"

# --- e. small changes to a corpus of many small records ------------------------------
echo "== e. $RECORDS small records: full commit, then $CHANGE appended, $CHANGE relabelled (--patch and upsert)"
small="$DIR/small.jsonl"
timed gen_small "$small" python3 "$gen" --shape mixed --small --seed 2 --records "$RECORDS"
SB=$(fsize "$small")
python3 "$gen" --shape mixed --small --seed 2 --append "$CHANGE" --start "$RECORDS" -o "$DIR/append.jsonl" 2>/dev/null
python3 "$gen" --relabel "$small" --count "$CHANGE" --seed 3 -o "$DIR/patch.jsonl" 2>/dev/null
# another seed, so the upsert changes other rewards than the patch did
python3 "$gen" --relabel "$small" --count "$CHANGE" --seed 4 -o /dev/null --full-out "$DIR/upsert.jsonl" 2>/dev/null
AB=$(fsize "$DIR/append.jsonl") PB=$(fsize "$DIR/patch.jsonl") UB=$(fsize "$DIR/upsert.jsonl")

sstore="$DIR/fw-small"
declare -A OB OC
# Each step runs REPEAT times from the same state (a copy of the store as
# the step before left it; the full commit from an empty store each time):
# a step of a tenth of a second moves by 10-30% from run to run here, and
# the best counts as for ingest (every run is printed, and the medians).
# The last run's store goes on to the next step.
step() { # NAME FILE [--patch]: add + commit, objects written measured by du
	local name=$1 file=$2 b0 c0 tot best="" all=""
	shift 2
	[ "$name" != full ] && cp -a "$sstore" "$sstore.pre"
	for r in $(seq "$REPEAT"); do
		rm -rf "$sstore"
		if [ "$name" = full ]; then
			"$FW" init "$sstore" >/dev/null || die "fw init failed"
			"$FW" -C "$sstore" corpus create small >/dev/null || die "fw corpus create failed"
		else
			cp -a "$sstore.pre" "$sstore"
		fi
		b0=$(objbytes "$sstore") c0=$(objcount "$sstore")
		fw_add "${name}_add" "$sstore" small "$file" "$@"
		commit_json "$sstore" small "$name" "${name}_commit"
		tot=$(calc "${T[${name}_add]} + ${T[${name}_commit]}")
		all="$all${all:+, }$tot"
		if [ -z "$best" ] || awk -v a="$tot" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$tot
			for k in "${name}_add" "${name}_commit"; do BM[$k]=${M[$k]}; done
		fi
	done
	rm -rf "$sstore.pre"
	OB[$name]=$(( $(objbytes "$sstore") - ${b0:-0} ))
	OC[$name]=$(( $(objcount "$sstore") - ${c0:-0} ))
	T[$name]=$best
	RUNS[$name]=$all
	MED[$name]=$(echo "$all" | median)
	for k in "${name}_add" "${name}_commit"; do M[$k]=${BM[$k]}; done
	echo "  $name: best ${T[$name]} s of $all; ${OB[$name]} object bytes in ${OC[$name]} files"
}
declare -A BM MED
step full "$small"
step append "$DIR/append.jsonl"
step patch "$DIR/patch.jsonl" --patch
step upsert "$DIR/upsert.jsonl"
timed small_cat /dev/null "$FW" -C "$sstore" cat small
rm -rf "$sstore"

# --- f. the results -------------------------------------------------------------------
res="$OUT/results.md"
goal() { awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { ok = (op == ">=") ? a >= b : a < b; print ok ? "yes" : "**no**" }'; }
fw_mbps=$(mbps "$B" "$fw_total")
z1_mbps=$(mbps "$B" "${T[zstd_t1]}")
z2_mbps=$(mbps "$B" "${T[zstd_t2]}")
git_mbps=$(mbps "$B" "$git_total")
r_zstd=$(ratio "$fw_mbps" "$z1_mbps")
r_git=$(ratio "$fw_mbps" "$git_mbps")
{
	echo "## Results: store foundation"
	echo
	echo "- machine: $ncpu cores, $cpu, $mem memory; disk write (dd, fdatasync) $disk_mbps MB/s"
	echo "- fw: ${fwver:-fw} at commit $fwrev; $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- corpus: $N mixed tau-bench/SWE-agent records, $(human "$B") of JSON lines (generated in ${T[gen]} s, $gen_mbps MB/s); small corpus: $RECORDS records, $(human "$SB")"
	echo "- command: \`make bench\`$([ "${FW_BENCH_QUICK:-0}" = 1 ] && echo " with FW_BENCH_QUICK=1")"
	echo
	echo "### Ingest and size ($(human "$B"))"
	echo
	echo "| step | time (s) | MB/s of JSON | stored bytes | ratio to JSON | peak RSS (MiB) |"
	echo "|---|---:|---:|---:|---:|---:|"
	echo "| zstd -3 -T1 | ${T[zstd_t1]} | $z1_mbps | $Z1 | $(ratio "$B" "$Z1") | $(mib "${M[zstd_t1]}") |"
	echo "| zstd -3 -T2 | ${T[zstd_t2]} | $z2_mbps | $Z2 | $(ratio "$B" "$Z2") | $(mib "${M[zstd_t2]}") |"
	echo "| fw add | ${T[fw_add]} | $(mbps "$B" "${T[fw_add]}") | | | $(mib "${M[fw_add]}") |"
	echo "| fw commit | ${T[fw_commit]} | $(mbps "$B" "${T[fw_commit]}") | | | $(mib "${M[fw_commit]}") |"
	echo "| fw add + commit | $fw_total | $fw_mbps | $FS (.fw; objects $FSO) | $(ratio "$B" "$FS") | |"
	echo "| git add | ${T[git_add]} | $(mbps "$B" "${T[git_add]}") | | | $(mib "${M[git_add]}") |"
	echo "| git commit | ${T[git_commit]} | $(mbps "$B" "${T[git_commit]}") | | | $(mib "${M[git_commit]}") |"
	echo "| git add + commit | $git_total | $git_mbps | $GL (.git, loose) | $(ratio "$B" "$GL") | |"
	echo "| git gc | ${T[git_gc]} | | $GS (.git after gc) | $(ratio "$B" "$GS") | $(mib "${M[git_gc]}") |"
	echo "| fw cat | ${T[fw_cat]} | $cat_mbps out | | | $(mib "${M[fw_cat]}") |"
	echo
	echo "fw commit --json reported objects_written ${FWO[fw_commit]}, bytes_written ${FWB[fw_commit]}."
	echo
	echo "Best of $REPEAT runs each for zstd and fw (git: one run). Every run, in seconds:"
	echo "zstd -3 -T1 ${RUNS[zstd_t1]}; zstd -3 -T2 ${RUNS[zstd_t2]};"
	echo "fw add + commit ${RUNS[fw_total]}."
	echo
	echo "### Ratios"
	echo
	echo "| figure | value | goal | met |"
	echo "|---|---:|---|---|"
	echo "| fw ingest MB/s / zstd -3 -T1 MB/s | $r_zstd | >= 0.5 | $(goal "$r_zstd" ">=" 0.5) |"
	echo "| the same, median runs | $(ratio "$z1_median" "$fw_median") | | |"
	echo "| fw ingest MB/s / git add+commit MB/s | $r_git | several times (>= 3) | $(goal "$r_git" ">=" 3) |"
	echo "| fw stored / zstd -3 size | $(ratio "$FS" "$Z1") | | |"
	echo "| fw stored / git size after gc | $(ratio "$FS" "$GS") | | |"
	echo "| fw cat MB/s | $cat_mbps | | |"
	echo
	echo "### Small changes to $RECORDS records ($(human "$SB"))"
	echo
	echo "| step | input bytes | time (s) | % of full time | object bytes written (du) | files | % of full bytes | fw bytes_written | peak RSS add / commit (MiB) | goal < 2% met |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	for s in full append patch upsert; do
		case $s in full) ib=$SB ;; append) ib=$AB ;; patch) ib=$PB ;; upsert) ib=$UB ;; esac
		tp=$(pct "${T[$s]}" "${T[full]}") bp=$(pct "${OB[$s]}" "${OB[full]}")
		met=
		[ $s != full ] && met=$(awk -v t="${tp%\%}" -v b="${bp%\%}" 'BEGIN { print (t < 2 && b < 2) ? "yes" : "**no**" }')
		echo "| $s | $ib | ${T[$s]} | $tp | ${OB[$s]} | ${OC[$s]} | $bp | ${FWB[${s}_commit]} | $(mib "${M[${s}_add]}") / $(mib "${M[${s}_commit]}") | $met |"
	done
	echo
	echo "append: $CHANGE new records; patch: \`fw add --patch\` of $CHANGE \`{\"id\",\"reward\"}\` lines; upsert: the same count of whole records with a new reward. fw cat of the small corpus: ${T[small_cat]} s, $(mib "${M[small_cat]}") MiB peak."
	echo
	echo "Best of $REPEAT runs of each step, each from the same state. Every run (add + commit), in seconds: full ${RUNS[full]}; append ${RUNS[append]}; patch ${RUNS[patch]}; upsert ${RUNS[upsert]}. Medians as % of the full commit's median: append $(pct "${MED[append]}" "${MED[full]}"), patch $(pct "${MED[patch]}" "${MED[full]}"), upsert $(pct "${MED[upsert]}" "${MED[full]}")."
} >"$res"
echo
cat "$res"
echo
echo "bench: results written to $res"

# --- g. the other benchmarks ------------------------------------------------------------
for b in tokenizer filter diff; do
	if [ -f "$root/tests/bench/$b/run.sh" ]; then
		echo "== $b benchmark"
		FW="$FW" sh "$root/tests/bench/$b/run.sh" || die "tests/bench/$b/run.sh failed"
	else
		echo "== $b benchmark: tests/bench/$b/run.sh not present, skipped"
	fi
done
