# shellcheck disable=SC2154  # inputs
# Verb upload: the bytes on stdin into the file `up` of a new private directory, which is
# kept for a verb that installs it.
# Inputs: work (the new private directory's path, beside the item).
# Answer: OK.
private "$work"
cat > up || fail 66 "cannot write in $work"
keep
echo OK
