# shellcheck disable=SC2154  # inputs
# Verb install: replace a live item with the verified copy `f` that lies in the private
# directory `work` beside it, keeping a backup. A gravity.db is swapped in under SQLite's
# write lock on the live database.
# Inputs: work, f (the copy's name in work), live (the item's path), sha (sha256 the copy
# must have; empty for a copy made there), kind (db | text), want (the schema version the
# copy must have; 0: any), broot (backup_dir), bdir (this item's backup directory), bname
# (the backup's file name), mode (of a new file), rtenths (how long to wait for a gravity
# rebuild, in 0.1 s), jms (how long to wait for the write lock, ms; as long again for a
# journal), max (bytes of a text item's backup to read at most: one more than it may hold).
# Answer: BACKUP (a backup was kept), OLD (the replaced gravity.db stays linked as `old`
# in the private directory, which is kept for release), DONE.
# Exit 65 when the copy or the live file fails a check, there is no room for the backup, a
# rebuild or a writer does not finish in time; 66 when a step fails.
enter "$work"
if ! { [ -f "$f" ] && [ ! -L "$f" ]; }; then fail 66 "the copy to install is missing from $work"; fi
if [ -n "$sha" ]; then
  got=$(sha256sum < "$f" | cut -c1-64)
  [ "$got" = "$sha" ] || fail 65 "checksum mismatch: received $got, sent $sha"
fi
regular "$live"
[ ! -d "$live" ] || fail 65 "$live is a directory"
if [ "$kind" = db ]; then
  ic=$(sqr "./$f" 'PRAGMA integrity_check;' 2>&1 | head -n 5 | oneline)
  [ "$ic" = "ok" ] || fail 65 "integrity check failed: $ic"
  v=$(sqr "./$f" "$VERSION_SQL" 2>&1 | oneline)
  [ "$want" = 0 ] || [ "$v" = "$want" ] || fail 65 "schema version $v differs from the live database's $want; update Pi-hole on both nodes to the same version first"
  waitfor "$rtenths" [ ! -e "${live}_temp" ] || fail 65 "Pi-hole is rebuilding gravity there (${live}_temp exists); try again when pihole -g has finished"
fi
if [ -e "$live" ]; then
  bkdir "$broot"
  bkdir "$bdir"
  need=$(( $(stat -c %s -- "$live") / 1024 + 1024 ))
  for d in "$bdir" .; do
    room "$d" "$need" || fail 65 "not enough disk space in $d for a backup of $live: $FREE KiB free, $need KiB needed"
  done
  if [ "$kind" = db ]; then
    # A consistent snapshot, in the private directory (inside a container's bind mount).
    sq "$live" ".backup './bak'" >/dev/null 2>&1 || fail 66 "backup of $live failed"
  else
    ri=$(stat -c %i -- "$live")
    rd "$live" "$max" > bak || fail 66 "backup of $live failed"
    [ "$(wc -c < bak)" -lt "$max" ] || fail 65 "$live grew beyond what a Pi-hole text item holds while it was backed up; not replacing it"
    if [ -L "$live" ] || [ "$(stat -c %i -- "$live")" != "$ri" ]; then fail 65 "$live was replaced while it was backed up; try again"; fi
  fi
  { mv -f bak "$bdir/.gravity-sync.tmp" && mv -f "$bdir/.gravity-sync.tmp" "$bdir/$bname"; } || fail 66 "cannot store the backup in $bdir"
  echo "BACKUP"
  owner=$(stat -c '%u:%g' -- "$live"); perm=$(stat -c '%a' -- "$live")
else
  owner=$(stat -c '%u:%g' -- "${live%/*}"); perm=$mode
fi
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
    fail 65 "a hot journal or WAL lies beside $live; not swapping over it"
  fi
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
  [ "$(stat -c '%d:%i' -- "$live" 2>/dev/null)" = "$ci" ] || fail 65 "$live was replaced as the copy went in; try again"
  if [ "$linked" = 1 ]; then keep; echo "OLD"; fi
else
  place "$f" "$live"
fi
sync "${live%/*}" 2>/dev/null || sync
echo DONE
