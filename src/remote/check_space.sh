# shellcheck disable=SC2154  # inputs
# Verb check_space: room to receive an item (read-only: a missing backup directory is
# measured at its nearest existing ancestor; keep_file makes it).
# Inputs: dir (the item's directory), bdir (backup_dir), need (KiB needed in each).
# Exit 65 naming the directory when one has less room; 66 when dir does not exist.
[ -d "$dir" ] || fail 66 "directory $dir does not exist"
near "$bdir"
for d in "$dir" "$D"; do
  room "$d" "$need" || fail 65 "not enough disk space in $d: $FREE KiB free, $need KiB needed"
done
