# shellcheck disable=SC2154  # inputs
# Verb install: replace a live item with the verified copy `f` that lies in the private
# directory `work` beside it, keeping a backup. The gravity.db swap runs as the verb swap
# under SQLite's write lock on the live database.
# Inputs: work, f (the copy's name in work), live (the item's path), sha (sha256 the copy
# must have; empty for a copy made there), kind (db | text), want (the schema version the
# copy must have; 0: any), broot (backup_dir), bdir (this item's backup directory), bname
# (the backup's file name), old (where the replaced gravity.db stays linked until FTL has
# reopened it), mode (of a new file), rtenths (how long to wait for a gravity rebuild,
# in 0.1 s), jms (how long to wait for the write lock, ms; as long again for a journal),
# SWAPSH (the text of swap.sh).
# Answer: BACKUP (a backup was kept), OLD (the replaced file is linked at old), DONE.
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
  ic=$(sqr "$H/$f" 'PRAGMA integrity_check;' 2>&1 | head -n 5 | oneline)
  [ "$ic" = "ok" ] || fail 65 "integrity check failed: $ic"
  v=$(sqr "$H/$f" "$VERSION_SQL" 2>&1 | oneline)
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
    sq "$live" ".backup '$H/bak'" >/dev/null 2>&1 || fail 66 "backup of $live failed"
  else
    ri=$(stat -c %i -- "$live")
    cp -- "$live" bak || fail 66 "backup of $live failed"
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
  # Under the write lock (BEGIN IMMEDIATE): no writer can start, and leave a journal
  # beside the new file, between the check for one and the rename. Taking the lock rolls
  # back a hot journal a crashed writer left. The swap runs where sqlite3 runs (inside the
  # container, if any), so it is given the paths as that side sees them.
  printf '%s\n' "$SWAPSH" > swap
  cpath "$live" > swap.live
  cpath "$old" > swap.old
  printf '%s' "$f" > swap.file
  printf '%s' "$((jms / 100 + 1))" > swap.tenths
  err=$(sq "$live" ".timeout $jms" 'BEGIN IMMEDIATE;' ".shell sh $H/swap" 'ROLLBACK;' 2>&1 >/dev/null)
  [ -f swap.out ] || fail 65 "$live stayed locked by a writer; not swapping ($(printf '%s' "$err" | oneline))"
  ! grep -q JOURNAL swap.out || fail 65 "a hot journal or WAL lies beside $live; not swapping over it"
  grep -q DONE swap.out || fail 66 "cannot rename $f over $live"
  if grep -q OLD swap.out; then echo "OLD"; fi
else
  place "$f" "$live"
fi
sync "${live%/*}" 2>/dev/null || sync
echo DONE
