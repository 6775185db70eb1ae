# Verb stat_files: size and mtime of some files (when SFTP is not there).
# Arguments, two per file: NAME PATH.
# Answer: NAME SIZE MTIME, or NAME missing.
while [ $# -ge 2 ]; do
  # -L: the file a link names, as SFTP's STAT (and inotify on this node's side) sees it.
  echo "$1 $(stat -L -c '%s %Y' -- "$2" 2>/dev/null || echo missing)"
  shift 2
done
