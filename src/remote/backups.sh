# Verb backups: the files in backup_dir's item directories.
# Arguments: backup_dir. Answer: B SIZE ITEM/FILE for each regular file (the caller keeps
# only names of a backup's form).
for f in "$1"/*/*; do
  if [ -f "$f" ] && [ ! -L "$f" ]; then echo "B $(stat -c %s -- "$f") ${f#"$1"/}"; fi
done
exit 0
