#!/bin/sh
# The man pages and --help agree (as git's t0450 checks): every command in
# cmd/ has man/fw-<cmd>.1 whose SYNOPSIS lines are exactly the usage lines of
# `fw <cmd> --help`, in order, and whose text names each of its options;
# man/fw.1 lists every command with the summary `fw --help` prints.
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/cli/lib.sh"
tmp=$T/t0900
mkdir -p "$tmp"
no() { bad "$@"; }

# plain FILE: the roff source as text: font changes and \& dropped, \- and
# \e turned back into - and \.
plain() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\&//g' -e 's/\\-/-/g' \
	    -e 's/\\e/\\/g' "$1"
}

# synopsis FILE: the text lines of the SYNOPSIS section, one per line.
synopsis() {
	plain "$1" | awk '
		/^\.SH/ { on = ($0 ~ /^\.SH "?SYNOPSIS"?[ \t]*$/); next }
		on && /^\./ { next }
		on && NF { print }'
}

# usage CMD: the usage lines of `fw CMD --help` without "usage: " / "   or: ".
usage() {
	"$FW" "$1" --help 2>/dev/null |
	    sed -n -e 's/^usage: //p' -e 's/^   or: //p'
}

ncmd=0
for src in "$root"/cmd/*.c; do
	cmd=$(basename "$src" .c)
	case $cmd in fw|opt|util) continue ;; esac
	ncmd=$((ncmd + 1))
	page=$root/man/fw-$cmd.1
	if [ ! -f "$page" ]; then
		no "$cmd: no man page man/fw-$cmd.1"
		continue
	fi
	ok
	usage "$cmd" >"$tmp/usage"
	if [ ! -s "$tmp/usage" ]; then
		no "$cmd: 'fw $cmd --help' prints no usage line"
		continue
	fi
	synopsis "$page" >"$tmp/syn"
	if cmp -s "$tmp/usage" "$tmp/syn"; then
		ok
	else
		no "$cmd: SYNOPSIS of man/fw-$cmd.1 differs from 'fw $cmd --help'"
		diff "$tmp/usage" "$tmp/syn" | sed 's/^/    /'
	fi
	# every long option of the help's option table is in the page
	plain "$page" >"$tmp/page"
	"$FW" "$cmd" --help | sed -n 's/^  *\(-., \)\{0,1\}\(--[a-z][a-z0-9-]*\).*/\2/p' |
	    grep -v '^--help$' >"$tmp/opts"
	while read -r opt; do
		if grep -q -E -e "$opt([^a-z0-9-]|\$)" "$tmp/page"; then ok; else
			no "$cmd: man/fw-$cmd.1 does not describe $opt"
		fi
	done <"$tmp/opts"
	# the NAME line carries the summary of cmd/fw.c's table
	sum=$("$FW" --help | sed -n "s/^    $cmd  *//p")
	if [ -n "$sum" ] && grep -q -F -e "fw-$cmd - $sum" "$tmp/page"; then ok; else
		no "$cmd: NAME of man/fw-$cmd.1 is not 'fw-$cmd - $sum'"
	fi
done
[ "$ncmd" -gt 0 ] && ok || no "no commands found in cmd/"

# man/fw.1 names every command that `fw --help` lists, with its summary, and
# every command has a source file.
if [ -f "$root/man/fw.1" ]; then
	ok
	plain "$root/man/fw.1" >"$tmp/fw1"
	"$FW" --help | sed -n 's/^    \([a-z][a-z-]*\)  *\(.*\)$/\1	\2/p' >"$tmp/cmds"
	[ -s "$tmp/cmds" ] && ok || no "'fw --help' lists no commands"
	while IFS='	' read -r cmd sum; do
		if grep -q -e "fw-$cmd \{0,1\}(1)" "$tmp/fw1"; then ok; else
			no "man/fw.1 does not mention fw-$cmd(1)"
		fi
		if grep -q -F -e "$sum" "$tmp/fw1"; then ok; else
			no "man/fw.1 lacks the summary of $cmd: '$sum'"
		fi
		[ -f "$root/cmd/$cmd.c" ] && ok || no "'fw --help' lists $cmd but there is no cmd/$cmd.c"
	done <"$tmp/cmds"
else
	no "no man page man/fw.1"
fi

finish
