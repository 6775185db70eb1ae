# Verb clean_stale: remove what a killed run left: files and private directories of ours
# in the given directories (Pi-hole's and each item's backup directory).
# Arguments: pihole_dir, dnsmasq_dir, backup_dir. Answer: N COUNT.
n=0
for f in "$1"/.gravity-sync.* "$2"/.gravity-sync.* "$3"/*/.gravity-sync.*; do
  if [ -f "$f" ] && [ ! -L "$f" ]; then
    rm -f -- "$f" && n=$((n + 1))
  elif ours "$f"; then
    rm -rf -- "$f" && n=$((n + 1))
  fi
done
echo "N $n"
