# shellcheck disable=SC2154  # inputs
# Verb swap: replace a live item with the verified copy `f` in the private directory
# `work` beside it: the owner and mode of the file it replaces (of its directory for a new
# file), synced, then renamed over it; a gravity.db under SQLite's write lock on the live
# database.
# Inputs: work, f (the copy's name in work), live (the item's path), kind (db | text), mode
# (of a new file), jms (how long to wait for the write lock, ms; as long again for a
# journal), expect (the live file as the run read it: "SIZE MTIME INODE", or - when it was
# missing; empty: not checked).
# Answer: MOVED once the copy is renamed over the live file; OLD (the replaced gravity.db
# stays linked as `old` in the private directory, which is kept for release); CHANGED (the
# live file is no longer the one the run read: nothing replaced, exit 65); DONE.
# Exit 65 when the live path is not a regular file, a writer keeps the lock or a journal
# stays beside the database, or the live file was replaced as the copy went in; 66 when a
# step fails.
enter "$work"
if ! { [ -f "$f" ] && [ ! -L "$f" ]; }; then fail 66 "the copy to install is missing from $work"; fi
regular "$live"
[ ! -d "$live" ] || fail 65 "$live is a directory"
if [ -e "$live" ]; then
  owner=$(stat -c '%u:%g' -- "$live"); perm=$(stat -c '%a' -- "$live")
else
  owner=$(stat -c '%u:%g' -- "${live%/*}"); perm=$mode
fi
# Still the file the run read: a write that landed since is never replaced unseen.
unchanged() {
  [ -z "$expect" ] && return 0
  if [ -e "$live" ]; then now=$(stat -c '%s %Y %i' -- "$live"); else now=-; fi
  [ "$now" = "$expect" ]
}
chown "$owner" "$f" 2>/dev/null || [ "$(id -u)" != 0 ] || fail 66 "cannot set the owner of the copy"
chmod "$perm" "$f" || fail 66 "cannot set the mode of the copy"
sync "$f" 2>/dev/null || sync
if [ "$kind" = db ] && [ -e "$live" ]; then
  # Under SQLite's write lock on the live database: Pi-hole's sqlite3 (in its container, if
  # any) takes it (BEGIN IMMEDIATE, which also rolls back a hot journal a crashed writer
  # left) and holds it, reading from a pipe, while this shell checks for a journal and
  # renames: no writer can start in between. Every name here is inside the private
  # directory or the live file's own.
  mkfifo lk.in lk.out || fail 66 "cannot make the lock pipes in $work"
  sq "$live" < lk.in > lk.out 2> lk.err &
  lkpid=$!
  exec 7> lk.in 8< lk.out
  trap '' PIPE
  printf '.timeout %s\nBEGIN IMMEDIATE;\n.print LOCKED\n' "$jms" >&7
  got=""
  read -r got <&8 || true
  unlock() { printf 'ROLLBACK;\n' >&7; exec 7>&- 8<&-; wait "$lkpid"; }
  if [ "$got" != LOCKED ]; then
    unlock
    fail 65 "$live stayed locked by a writer; not swapping ($(oneline < lk.err))"
  fi
  if ! waitfor "$((jms / 100 + 1))" nojournal "$live"; then
    unlock
    fail 65 "a hot journal or WAL lies beside $live; not swapping over it (a writer still at work, or a gravity.db in WAL mode: docs/OPERATIONS.md, exit 5)"
  fi
  if ! unchanged; then unlock; echo CHANGED; fail 65 "$live changed after the run read it"; fi
  # FTL keeps the database open: the replaced file stays linked (as `old`, here) until FTL
  # has reopened it (FTL v6 ignores a renamed file, but warns about an unlinked one).
  linked=0
  if ln -P -- "$live" old 2>/dev/null; then linked=1; fi
  ci=$(stat -c '%d:%i' -- "$f")
  mvrc=0
  mv -fT -- "$f" "$live" || mvrc=$?
  unlock
  rm -f lk.in lk.out lk.err
  if [ "$mvrc" != 0 ]; then rm -f old; fail 66 "cannot rename $f over $live"; fi
  echo MOVED
  if [ "$linked" = 1 ]; then keep; echo "OLD"; fi
  [ "$(stat -c '%d:%i' -- "$live" 2>/dev/null)" = "$ci" ] || fail 65 "$live was replaced as the copy went in; try again"
else
  if ! unchanged; then echo CHANGED; fail 65 "$live changed after the run read it"; fi
  place "$f" "$live"
fi
sync "${live%/*}" 2>/dev/null || sync
echo DONE
