# shellcheck disable=SC2154  # inputs
# Verb keep_value: store stdin (a v6 value as the v5 file that holds it) as a backup.
# Inputs: broot (backup_dir), bdir (this item's backup directory), bname (the file name).
# Answer: BACKUP.
bkdir "$broot"
bkdir "$bdir"
cat > "$bdir/.gravity-sync.tmp" || fail 66 "cannot write a backup in $bdir"
mv -f "$bdir/.gravity-sync.tmp" "$bdir/$bname" || fail 66 "cannot store the backup in $bdir"
echo BACKUP
