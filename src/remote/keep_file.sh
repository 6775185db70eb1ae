# shellcheck disable=SC2154  # inputs
# Verb keep_file: keep a backup of the live file a copy in the private directory `work` is
# about to replace: a consistent snapshot of a gravity.db (made in work, inside a
# container's bind mount), a text file as it is.
# Inputs: work, live (the item's path), kind (db | text), broot (backup_dir), bdir (this
# item's backup directory), bname (the backup's file name), max (bytes of a text item to
# read at most: one more than it may hold).
# Answer: BACKUP when a backup was kept (none when there is no live file). The directory is
# kept for swap; a failure removes it.
# Exit 65 when the live path is not a regular file, there is no room for the backup, or
# the live file grew or was replaced while it was backed up; 66 when a step fails.
enter "$work"
regular "$live"
[ ! -d "$live" ] || fail 65 "$live is a directory"
if [ -e "$live" ]; then
  bkdir "$broot"
  bkdir "$bdir"
  need=$(( $(stat -c %s -- "$live") / 1024 + 1024 ))
  for d in "$bdir" .; do
    room "$d" "$need" || fail 65 "not enough disk space in $d for a backup of $live: $FREE KiB free, $need KiB needed"
  done
  if [ "$kind" = db ]; then
    sq "$live" ".backup './bak'" >/dev/null 2>&1 || fail 66 "backup of $live failed"
  else
    ri=$(stat -c %i -- "$live")
    rd "$live" "$max" > bak || fail 66 "backup of $live failed"
    [ "$(wc -c < bak)" -lt "$max" ] || fail 65 "$live grew beyond what a Pi-hole text item holds while it was backed up; not replacing it"
    if [ -L "$live" ] || [ "$(stat -c %i -- "$live")" != "$ri" ]; then fail 65 "$live was replaced while it was backed up; try again"; fi
  fi
  { mv -f bak "$bdir/.gravity-sync.tmp" && mv -f "$bdir/.gravity-sync.tmp" "$bdir/$bname"; } || fail 66 "cannot store the backup in $bdir"
  echo BACKUP
fi
keep
