#!/bin/sh
# Checks the Debian packages fw builds against; installs the missing ones when
# run as root, else names the command to run. Used by `make`, `make test`, `make demo`.
set -u
pkgs="libgit2-dev:libgit2 libzstd-dev:libzstd libssl-dev:libcrypto libyaml-dev:yaml-0.1 libjson-c-dev:json-c libpcre2-dev:libpcre2-8 libutf8proc-dev:libutf8proc zlib1g-dev:zlib pkg-config: jq:jq git:git zstd:zstd"
missing=""
for p in $pkgs; do
  deb=${p%%:*}; pc=${p#*:}
  case "$pc" in
    "") command -v pkg-config >/dev/null 2>&1 || missing="$missing $deb" ;;
    jq|git|zstd) command -v "$pc" >/dev/null 2>&1 || missing="$missing $deb" ;;
    *) command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$pc" 2>/dev/null || missing="$missing $deb" ;;
  esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "fw: installing missing Debian packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq $missing >&2 || exit 1
  exit 0
fi
echo "fw: missing Debian packages:$missing" >&2
echo "fw: install them with: sudo apt-get install$missing" >&2
exit 1
