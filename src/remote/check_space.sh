# shellcheck disable=SC2154  # inputs
# Verb check_space: room to receive an item.
# Inputs: dir (the item's directory), bdir (backup_dir), need (KiB needed in each).
# Exit 65 naming the directory when one has less room; 66 when dir does not exist.
[ -d "$dir" ] || fail 66 "directory $dir does not exist"
bkdir "$bdir"
for d in "$dir" "$bdir"; do
  room "$d" "$need" || fail 65 "not enough disk space in $d: $FREE KiB free, $need KiB needed"
done
