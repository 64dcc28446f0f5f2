# Shared by the command-line tests: a fresh store in a temporary directory,
# checks that count, and the closing "N passed, N failed" line.
set -u
: "${FW:?FW must name the fw binary}"
FW_DATA=${FW_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/data}
export LC_ALL=C FW_AUTHOR_NAME=test FW_AUTHOR_EMAIL=test@example.com
t_pass=0
t_fail=0
T=$(mktemp -d "${TMPDIR:-/tmp}/fw-cli-XXXXXX")
trap 'cd /; rm -rf "$T"' EXIT
cd "$T" || exit 2

ok() { t_pass=$((t_pass + 1)); }
bad() { t_fail=$((t_fail + 1)); echo "FAIL: $*"; }

# check DESCRIPTION COMMAND...: the command succeeds
check() { d=$1; shift; if "$@" >/dev/null 2>&1; then ok; else bad "$d"; fi; }
# expect_eq DESCRIPTION GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok; else bad "$1"; printf '  got:  %s\n  want: %s\n' "$2" "$3"; fi
}
# expect_fail DESCRIPTION EXIT_CODE PATTERN COMMAND...: fails with that code
# and a message on stderr matching the grep pattern
expect_fail() {
	d=$1 code=$2 pat=$3; shift 3
	"$@" >"$T/.out" 2>"$T/.err"; rc=$?
	if [ "$rc" != "$code" ]; then
		bad "$d: exit $rc, want $code"; sed 's/^/  /' "$T/.err" | head -3; return
	fi
	if ! grep -q -e "$pat" "$T/.err"; then
		bad "$d: message does not match '$pat'"; sed 's/^/  /' "$T/.err" | head -3; return
	fi
	ok
}
have_data() { [ -d "$FW_DATA/trajectories" ]; }
finish() { echo "$t_pass passed, $t_fail failed"; [ "$t_fail" -eq 0 ]; }
