# shellcheck disable=SC2154  # inputs
# Verb restore_copy: copy a backup into a new private directory beside its item as `up`,
# kept for install.
# Inputs: src (the backup's path), work (the new private directory's path), text (1 for a
# text item), max (bytes of a text item to read at most).
# Answer: SHA DIGEST (sha256 of the copy), and for a text item C HEX (its content).
regular "$src"
[ -f "$src" ] || fail 66 "$src does not exist"
private "$work"
cp -- "$src" up || fail 66 "cannot copy $src"
echo "SHA $(sha256sum < up | cut -c1-64)"
if [ "$text" = 1 ] && readhex up "$max"; then echo "C $HEX"; fi
keep
