# shellcheck disable=SC2154  # inputs
# Verb read_text: a text file there as it is, a regular file only.
# Inputs: src (its path), max (bytes to read at most).
# Answer: C HEX. Exit 65 when src is not a regular file or was replaced while read; 66
# when it cannot be read.
readhex "$src" "$max" || { [ $? = 2 ] && fail 66 "$RERR"; fail 65 "$RERR"; }
echo "C $HEX"
