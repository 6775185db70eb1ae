# Verb stat_files: size and mtime of some files (when SFTP is not there).
# Arguments, two per file: NAME PATH.
# Answer: NAME SIZE MTIME, or NAME missing.
while [ $# -ge 2 ]; do
  echo "$1 $(stat -c '%s %Y' -- "$2" 2>/dev/null || echo missing)"
  shift 2
done
