#!/bin/sh
# shellcheck disable=SC2015,SC2016  # ok and bad never fail; run bodies expand in the verb's shell
# The remote library's file primitives against what the pihole user can put in their
# place (src/remote/lib.sh, run as it runs there: POSIX sh, GNU coreutils). A Pi-hole file
# is read once, never through a link and never blocking on a FIFO; a copy goes in only by
# rename over a file, never into a directory.
# Usage: lib_test.sh SRC_REMOTE_DIR. Prints "N passed, N failed".
set -u
lib="$(cd "$1" && pwd)/lib.sh"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass=0; failed=0
ok() { pass=$((pass + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $1" >&2; }

# Run `body` with the library loaded, in $t, the way a verb runs (its own shell).
run() {
  (cd "$t" && N=0123456789abcdef CT=0 PHD="$t" DND="$t" MAXTOML=100 BUSYMS=1000 LINKMSG="is a symbolic link" \
    sh -c '. "$0"; trap - EXIT; '"$1" "$lib")
}

printf 'secret\n' > "$t/secret"
printf '10.0.0.1 a.lan\n' > "$t/list"
mkfifo "$t/fifo"
ln -s "$t/secret" "$t/link"
mkdir "$t/dir"

# rd: a regular file is read, up to its limit.
[ "$(run 'rd list')" = "10.0.0.1 a.lan" ] && ok || bad "rd reads a regular file"
[ "$(run 'rd list 4')" = "10.0" ] && ok || bad "rd stops at its limit"
# rd: never through a symbolic link.
if run 'rd link' >/dev/null 2>&1; then bad "rd read through a link"; else ok; fi
# rd: a FIFO gives end of file at once (no writer), never a hang.
start=$(date +%s)
out=$(timeout 10 sh -c "cd '$t' && . '$lib'; trap - EXIT; rd fifo" 2>/dev/null); rc=$?
[ "$rc" != 124 ] && [ -z "$out" ] && [ $(( $(date +%s) - start )) -lt 5 ] && ok || bad "rd blocked on a FIFO"
# readhex: refuses a link and a FIFO, reads a file as hex.
[ "$(run 'readhex list 100 && echo "$HEX"')" = "31302e302e302e3120612e6c616e0a" ] && ok || bad "readhex reads a file as hex"
run 'readhex link 100' >/dev/null 2>&1 && bad "readhex read through a link" || ok
run 'readhex fifo 100' >/dev/null 2>&1 && bad "readhex read a FIFO" || ok
# place: renames over a file, checks the live name holds the copy afterwards.
printf 'new\n' > "$t/copy"
run 'place copy list' >/dev/null 2>&1 && [ "$(cat "$t/list")" = "new" ] && ok || bad "place renames over a file"
# place: never into a directory that took the live file's name.
printf 'new\n' > "$t/copy"
run 'place copy dir' >/dev/null 2>&1 && bad "place renamed into a directory" || ok
[ -e "$t/dir/copy" ] && bad "the copy went into the directory" || ok
# place: never over a link.
run 'place copy link' >/dev/null 2>&1 && bad "place renamed over a link" || ok
[ "$(cat "$t/secret")" = "secret" ] && ok || bad "the link's target changed"

# jcheck: a journal naming a super-journal (it ends with the journal magic) or a FIFO in a
# journal's or WAL's place is refused before SQLite opens the database; an ordinary one is not.
printf 'SQLite format 3' > "$t/g.db"
{ printf '%0512d' 0; printf '/etc/shadow'; printf '\000\000\000\013\000\000\004\000'; printf '\331\325\005\371\040\241\143\327'; } > "$t/g.db-journal"
run 'jcheck g.db' >/dev/null 2>&1 && bad "jcheck let a super-journal through" || ok
printf '%0600d' 0 > "$t/g.db-journal"
run 'jcheck g.db' >/dev/null 2>&1 && ok || bad "jcheck refused an ordinary journal"
rm -f "$t/g.db-journal"; mkfifo "$t/g.db-wal"
timeout 10 sh -c "cd '$t' && . '$lib'; trap - EXIT; jcheck g.db" >/dev/null 2>&1; rc=$?
[ "$rc" = 1 ] && ok || bad "jcheck let a FIFO WAL through (exit $rc)"

# nojournal: a journal whose first byte is zero is not hot (SQLite ignores it); one with
# another first byte, a link or a FIFO in its place may be, and never blocks the test.
rm -f "$t/g.db-wal" "$t/g.db-journal"
run 'nojournal g.db' && ok || bad "nojournal saw a journal where there is none"
printf '\000\000\000\000%0508d' 0 > "$t/g.db-journal"
run 'nojournal g.db' && ok || bad "nojournal took a zeroed journal for a hot one"
printf '\331\325\005\371%0508d' 0 > "$t/g.db-journal"
run 'nojournal g.db' && bad "nojournal missed a journal that may be hot" || ok
rm -f "$t/g.db-journal"; ln -s "$t/secret" "$t/g.db-journal"
run 'nojournal g.db' && bad "nojournal read a journal through a link" || ok
rm -f "$t/g.db-journal"; mkfifo "$t/g.db-journal"
timeout 10 sh -c "cd '$t' && . '$lib'; trap - EXIT; nojournal g.db" >/dev/null 2>&1; rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] && ok || bad "nojournal blocked on a FIFO (exit $rc)"
rm -f "$t/g.db-journal"

# ftlhere in a container (here `ctx` runs the command directly): Pi-hole's program runs in
# the private directory, and one the pihole user swapped in under its name is refused.
here() {
  (cd "$t" && N=0123456789abcdef CT=1 PHD=/nonexistent/pihole DND=/nonexistent/dnsmasq MAXTOML=100 BUSYMS=1000 LINKMSG="is a symbolic link" FTLC=pwd \
    sh -c '. "$0"; trap - EXIT; ctx() { "$@"; }; private "$1/.gravity-sync.p"; '"$1" "$lib" "$t")
}
case "$(here 'ftlhere')" in
  */.gravity-sync.p) ok ;;
  *) bad "ftlhere runs in the private directory" ;;
esac
rm -rf "$t/.gravity-sync.p"
here 'mv "$1/.gravity-sync.p" "$1/moved"; mkdir -m 700 "$1/.gravity-sync.p"; ftlhere' >/dev/null 2>&1; rc=$?
[ "$rc" = 97 ] && ok || bad "ftlhere ran in a directory swapped in (exit $rc)"

echo "$pass passed, $failed failed"
[ "$failed" = 0 ]
