# shellcheck shell=sh
# shellcheck disable=SC2154  # N, CT, PHD, DND, LINKMSG, MAXTOML, BUSYMS and the *_SQL values come from the prelude
#
# gravity-sync's remote library: the shell functions every remote verb may use (POSIX sh
# and coreutils). The prelude before it (built by RemoteNode, every value shell-quoted)
# defines N (this command's nonce), the node's paths and commands (PHD, DND, CT, MAXTOML,
# LINKMSG, the functions ftl and ph), BUSYMS (how long SQLite waits for a lock, ms) and
# the fixed SQL (VERSION_SQL, OBJ_SQL, COL_SQL, FRESH_SQL, digest_sql_for VERSION).
# docs/REMOTE.md is the protocol.
#
# Framing (include/gravity_sync/node/remote_answer.hpp): the prelude prints `=GS $N BEGIN`
# first; finish, run at exit, prints `=GS $N END status`; fail prints `=GS $N ERR message`
# and exits; data FILE prints a payload. Everything else a verb prints is an answer line.
#
# Private directories: private DIR makes the directory DIR (a name of ours, mkdir: never
# one that exists) mode 0700 and enters it; enter DIR enters one made earlier and refuses
# it unless it is still ours and 0700. From then on the verb uses its files by relative
# names (through its working directory, which keeps the directory's inode whatever another
# user renames), and so does Pi-hole's sqlite3 (./NAME), which runs in that directory
# (ftlhere; inside a container entered by its path there and checked by device and inode).
# finish removes the directory unless KEEP=1.
#
# Pi-hole's files: regular PATH fails unless PATH is a regular file or nothing (never a
# symbolic link); readhex PATH MAX sets HEX to its first MAX bytes as hex, or RERR and
# fails: 1 when it is not a regular file or was replaced while read, 2 when it cannot be
# read (never an empty HEX for a file that was not read). place FILE DEST renames
# FILE over DEST, never into a directory DEST names (mv -T), and prints MOVED once it has.
#
# cpath: where Pi-hole's programs see a host path (inside a container: the bind mounts of
# /etc/pihole and /etc/dnsmasq.d). sq [-readonly] DB SQL...: the sqlite3 shell of
# pihole-FTL on DB with no ~/.sqliterc, plain list output, stopping at the first error; a
# Pi-hole file (dbpath: its directory resolved, so that the path holds no link) is opened
# -nofollow, never through a symbolic link the pihole user swapped in (files in the private
# directory, named relatively, need no such care); only gravity-sync's own SQL and files. sqr DB SQL...: the same,
# read-only, in the shell's safe mode (no ATTACH, no file or shell functions) and with the
# schema untrusted: for reading a database whose content others control. recover DB: roll
# back a hot journal a crashed writer left (taking the write lock does it; no statement of
# the file runs). gstate NAME DB: the state of a gravity.db for inspect: its version,
# schema listing, digest and freshness, all from fixed SQL (the digest's statements chosen
# by the version, never built from the file). waitfor TENTHS TEST...: run TEST every 0.1 s
# while it fails, up to TENTHS times; fails when it never passed. Every file of Pi-hole's
# is read through rd (dd: O_NOFOLLOW, O_NONBLOCK), never by a command that follows a link
# the pihole user may swap in between a check and the read.
oneline() { tr -c '[:print:]' ' ' | head -c 300 | sed 's/ *$//'; }
fail() { printf '=GS %s ERR %s\n' "$N" "$(printf '%s' "$2" | oneline)"; exit "$1"; }
W=""; KEEP=0; WID=""
# Empty the directory through the working directory (whatever now bears its name), then
# remove the name if it is still an empty directory.
leave() { find . -mindepth 1 -delete 2>/dev/null; cd / && rmdir -- "$W" 2>/dev/null; W=""; }
finish() {
  rc=$?
  if [ -n "$W" ] && [ "$KEEP" = 0 ]; then leave; fi
  printf '\n=GS %s END %s\n' "$N" "$rc"
}
trap finish EXIT
same() { [ "$(stat -L -c '%d:%i' -- "$1" 2>/dev/null)" = "$(stat -L -c '%d:%i' -- "$2" 2>/dev/null)" ] && [ -e "$1" ]; }
ours() { [ -d "$1" ] && [ ! -L "$1" ] && [ "$(stat -c '%u %a' -- "$1")" = "$(id -u) 700" ]; }
inside() {
  cd -P -- "$1" 2>/dev/null || fail 66 "the private directory $1 is gone"
  # Still ours, 0700, and in the directory we made it in: the pihole user may rename it
  # and put a link to another directory in its place, which cd -P would follow.
  if ! { ours . && same .. "${1%/*}"; }; then fail 65 "$1 is no longer gravity-sync's private directory (it was replaced)"; fi
  W=$1
  # Pi-hole's sqlite3 runs in this directory (ftlhere) and is handed its files by relative
  # name (./NAME): no path through the item's directory, which the pihole user can rewrite.
  WID=$(stat -c '%d:%i' .)
}
enter() {
  inside "$1"
  if ! { [ -f .id ] && [ "$(cat .id)" = "${1##*/}" ]; }; then fail 65 "$1 is no longer gravity-sync's private directory (it was replaced)"; fi
}
private() {
  mkdir -m 700 -- "$1" || fail 66 "cannot create a private directory in ${1%/*}"
  inside "$1"
  [ -z "$(ls -A .)" ] || fail 65 "$1 is not the private directory just made (it was replaced)"
  printf '%s' "${1##*/}" > .id || fail 66 "cannot write in $1"
}
linkmsg() { printf '%s %s' "$1" "$LINKMSG"; }
regular() {
  if [ -L "$1" ]; then fail 65 "$(linkmsg "$1")"; fi
  if [ -e "$1" ] && [ ! -f "$1" ]; then fail 65 "$1 is not a regular file"; fi
}
hex() { od -An -v -tx1 | tr -d ' \n'; }
readhex() {
  HEX=""; RERR=""
  if [ -L "$1" ]; then RERR=$(linkmsg "$1"); return 1; fi
  if [ ! -f "$1" ]; then RERR="$1 is not a regular file"; return 1; fi
  ri=$(stat -c %i -- "$1")
  # dd's status, which a pipeline would lose (POSIX sh has no pipefail): hex's output goes
  # out through fd 4, the status through the inner substitution, appended after a space
  # once the whole pipeline is done. A dd that cannot read (or is not GNU's: BusyBox's
  # knows no iflag=nofollow) fails the read: an empty answer would read as an empty file.
  HEX=$( { rc=$( { { rd "$1" "$2"; echo "$?" >&5; } | hex >&4; } 5>&1 ); echo " $rc"; } 4>&1 )
  RC=${HEX##* }; HEX=${HEX% *}
  if [ "$RC" != 0 ]; then
    HEX=""; RERR="cannot read $1 (dd exit $RC; gravity-sync needs GNU coreutils dd there)"; return 2
  fi
  if [ -L "$1" ] || [ "$(stat -c %i -- "$1" 2>/dev/null)" != "$ri" ]; then
    HEX=""; RERR="$1 was replaced while it was read; try again"; return 1
  fi
}
place() {
  regular "$2"
  [ ! -d "$2" ] || fail 65 "$2 is a directory"
  pi=$(stat -c '%d:%i' -- "$1")
  mv -fT -- "$1" "$2" || fail 66 "cannot rename $1 over $2"
  echo MOVED
  [ "$(stat -c '%d:%i' -- "$2" 2>/dev/null)" = "$pi" ] || fail 65 "$2 was replaced as the copy went in; try again"
}
# rd PATH [MAX]: PATH's bytes (at most MAX) on stdout, opened once without following a
# symbolic link and without blocking (a FIFO swapped in gives end of file, never a hang).
rd() {
  if [ $# -ge 2 ]; then
    dd if="$1" iflag=nofollow,nonblock,count_bytes count="$2" bs=65536 status=none
  else
    dd if="$1" iflag=nofollow,nonblock bs=65536 status=none
  fi
}
data() { printf '=GS %s DATA %s\n' "$N" "$(wc -c < "$1" | tr -d ' ')"; cat -- "$1"; echo; }
bkdir() {
  mkdir -p -- "$1" || fail 66 "cannot create $1"
  if [ -L "$1" ] || [ "$(stat -c %u -- "$1")" != "$(id -u)" ]; then
    fail 65 "$1 must be a directory of $(id -un), not a symbolic link"
  fi
  chmod 700 -- "$1" || fail 66 "cannot make $1 private"
}
# near PATH: D is PATH, or its nearest ancestor that exists (PATH is absolute).
near() { D=$1; while [ ! -e "$D" ] && [ ! -L "$D" ]; do D=${D%/*}; D=${D:-/}; done; }
# bkok DIR: bkdir DIR would succeed, checked without creating or changing anything: DIR is
# a directory of ours (not a link) this user may write, or could be made in its nearest
# existing ancestor.
bkok() {
  if [ -L "$1" ] || { [ -e "$1" ] && { [ ! -d "$1" ] || [ "$(stat -c %u -- "$1")" != "$(id -u)" ]; }; }; then
    fail 65 "$1 must be a directory of $(id -un), not a symbolic link"
  fi
  near "$1"
  { [ -d "$D" ] && [ -w "$D" ] && [ -x "$D" ]; } || {
    if [ "$D" = "$1" ]; then fail 66 "$1 cannot be written by $(id -un)"; fi
    fail 66 "cannot create $1: $D is not a directory $(id -un) can write"
  }
}
cpath() {
  if [ "$CT" = 1 ]; then
    case "$1" in
      "$PHD"/*) printf '%s' "/etc/pihole/${1#"$PHD"/}"; return ;;
      "$DND"/*) printf '%s' "/etc/dnsmasq.d/${1#"$DND"/}"; return ;;
    esac
  fi
  printf '%s' "$1"
}
# ftlhere ARGS...: pihole-FTL ARGS with the private directory as its working directory. On
# the host it inherits this shell's; inside a container it enters the directory by its
# path there and checks it by device and inode, so a directory the pihole user swapped in
# under that name is refused (exit 97).
ftlhere() {
  if [ "$CT" = 1 ] && [ -n "$W" ]; then
    # shellcheck disable=SC2016  # expanded by the shell inside the container
    ctx sh -c 'cd -P -- "$1" 2>/dev/null && [ "$(stat -c %d:%i .)" = "$2" ] || { echo "the private directory $1 was replaced" >&2; exit 97; }; shift 2; exec "$@"' \
      sh "$(cpath "$W")" "$WID" "$FTLC" "$@"
  else
    ftl "$@"
  fi
}
nofollow() { NF=-nofollow; case "$1" in ./*) NF="" ;; esac; }
dbpath() {
  if [ -z "$NF" ]; then printf '%s' "$1"; return; fi
  if [ "$CT" = 1 ]; then cpath "$1"; return; fi
  d=$(cd -P -- "${1%/*}" 2>/dev/null && pwd -P) || d=${1%/*}
  printf '%s/%s' "$d" "${1##*/}"
}
# jcheck DB: the journal and WAL beside DB are safe to let SQLite near, as root: regular
# files, and a journal that names no super-journal (rolling one back deletes the file it
# names); JERR says why not. The same check as check_journal (src/sqlite/database.cpp).
jcheck() {
  for j in "$1-journal" "$1-wal"; do
    if [ -L "$j" ] || { [ -e "$j" ] && [ ! -f "$j" ]; }; then
      JERR="$j is not a regular file; SQLite would block or follow it: not opening $1"; return 1
    fi
  done
  js=$(stat -c %s -- "$1-journal" 2>/dev/null) || return 0
  [ "$js" -ge 24 ] || return 0
  jt=$(dd if="$1-journal" iflag=nofollow,nonblock,skip_bytes skip=$((js - 8)) bs=8 count=1 status=none | hex)
  if [ "$jt" = d9d505f920a163d7 ]; then
    JERR="$1-journal names another file for SQLite to delete when it rolls back (a super-journal); not opening $1"
    return 1
  fi
}
sq() {
  ro=""; [ "$1" = -readonly ] && { ro=-readonly; shift; }
  nofollow "$1"
  if [ -n "$NF" ] && ! jcheck "$1"; then printf '%s\n' "$JERR" >&2; return 65; fi
  db=$(dbpath "$1"); shift
  ftlhere sqlite3 -batch -bail -init /dev/null -list -noheader -cmd ".timeout $BUSYMS" $NF $ro "$db" "$@"
}
sqr() {
  nofollow "$1"
  if [ -n "$NF" ] && ! jcheck "$1"; then printf '%s\n' "$JERR" >&2; return 65; fi
  db=$(dbpath "$1"); shift
  ftlhere sqlite3 -batch -bail -init /dev/null -list -noheader -cmd ".timeout $BUSYMS" $NF -safe -readonly -cmd 'PRAGMA trusted_schema = OFF;' "$db" "$@"
}
recover() {
  [ -s "$1-journal" ] || return 0
  sq "$1" 'BEGIN IMMEDIATE;' 'ROLLBACK;' >/dev/null 2>&1 || true
}
tomlout() {
  tf="$PHD/pihole.toml"
  if [ ! -e "$tf" ] && [ ! -L "$tf" ]; then echo "TOML -"; return; fi
  tm=$(stat -c %Y -- "$tf" 2>/dev/null)
  if readhex "$tf" "$MAXTOML"; then printf 'TOML %s %s\n' "$tm" "$HEX"; else printf 'TOMLERR %s\n' "$RERR"; fi
}
gstate() {
  recover "$2"
  v=$(sqr "$2" "$VERSION_SQL" 2>&1) || { echo "E $1 not a readable gravity database: $(printf '%s' "$v" | oneline)"; return; }
  echo "S $1 ~V $(printf '%s' "$v" | head -c 64 | hex)"
  d=$(digest_sql_for "$v") || return 0
  out=$(sqr "$2" 'BEGIN;' "$OBJ_SQL" "$COL_SQL" "$d" "$FRESH_SQL" 'COMMIT;' 2>&1); rc=$?
  printf '%s\n' "$out" | grep '^~' | sed "s/^/S $1 /"
  if [ "$rc" != 0 ]; then
    echo "E $1 not a readable gravity database: $(printf '%s\n' "$out" | grep -v '^~' | tail -n 1 | oneline)"
    return
  fi
  echo "H $1 $(printf '%s\n' "$out" | grep -v '^~' | sha256sum | cut -c1-64)"
}
waitfor() {
  wn=$1; shift
  until "$@"; do
    wn=$((wn - 1)); [ "$wn" -gt 0 ] || return 1
    sleep 0.1
  done
}
# room DIR KIB: whether DIR's filesystem has KIB KiB free; FREE is what it has.
room() {
  FREE=$(df -Pk -- "$1" 2>/dev/null | awk 'NR==2 {print $4}')
  FREE=${FREE:-0}
  [ "$FREE" -ge "$2" ]
}
# nojournal DB: no journal or WAL with content lies beside DB.
# nojournal DB: no journal beside DB that may be hot (SQLite ignores one whose first byte
# is zero: pager.c hasHotJournal; one that cannot be read counts) and no WAL.
nojournal() {
  if [ -s "$1-journal" ] && [ "$(rd "$1-journal" 1 | od -An -tx1 | tr -d ' \n')" != 00 ]; then return 1; fi
  [ ! -s "$1-wal" ]
}
# keep: leave this verb's private directory in place for a later verb.
keep() { KEEP=1; }
