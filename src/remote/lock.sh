# shellcheck disable=SC2154  # inputs
# Verb lock: take gravity-sync's lock there (flock(1) on a file beside backup_dir, where a
# gravity-sync running there keeps its own), and hold it until stdin closes: the lock
# lives as long as the SSH channel. Not framed like the other verbs: the answer is one
# line `=GS <nonce> ANSWER` the moment it is known.
# Inputs: l (the lock file's path), secs (how long to wait).
# Answer: LOCKED (held until stdin closes), BUSY (another run holds it), LINK (the lock
# file is a symbolic link), NOTFILE (it is a directory, a FIFO or another non-regular
# file: never opened, a FIFO would block), NOFLOCK (flock is not installed).
umask 077
m="=GS $N "
mkdir -p -- "${l%/*}" || exit 66
if [ -L "$l" ]; then echo "${m}LINK"; exit 66; fi
if [ -e "$l" ] && [ ! -f "$l" ]; then echo "${m}NOTFILE"; exit 66; fi
exec 9>>"$l" || exit 66
command -v flock >/dev/null || { echo "${m}NOFLOCK"; exit 66; }
if flock -w "$secs" 9; then echo "${m}LOCKED"; exec cat >/dev/null; else echo "${m}BUSY"; fi
