# shellcheck disable=SC2154  # inputs
# Verb probe: what `check` learns of Pi-hole there.
# Inputs: dir (pihole_dir), dns (dnsmasq_dir), php (pihole_command), ftlc (ftl_command),
# incontainer (1 when Pi-hole runs in a container).
# Answer: D 0|1 (dir exists), G 0|1|L|X (gravity.db: missing, a file, a link, another
# kind), N 0|1 (dns exists), T 0|1 (pihole.toml exists), P 0|1 and F 0|1 (the commands
# found; not in a container), V TEXT (pihole-FTL -v), S VERSION (gravity.db's schema
# version), and on v6 pihole.toml as read_toml answers.
if [ -d "$dir" ]; then echo "D 1"; else echo "D 0"; fi
if [ -L "$dir/gravity.db" ]; then echo "G L"; elif [ -f "$dir/gravity.db" ]; then echo "G 1"; elif [ -e "$dir/gravity.db" ]; then echo "G X"; else echo "G 0"; fi
if [ -d "$dns" ]; then echo "N 1"; else echo "N 0"; fi
if [ -e "$dir/pihole.toml" ]; then echo "T 1"; else echo "T 0"; fi
if [ "$incontainer" = 0 ]; then
  if command -v "$php" >/dev/null 2>&1; then echo "P 1"; else echo "P 0"; fi
  if command -v "$ftlc" >/dev/null 2>&1; then echo "F 1"; else echo "F 0"; fi
fi
echo "V $(ftl -v 2>/dev/null | head -n 1 | oneline)"
if [ -f "$dir/gravity.db" ] && [ ! -L "$dir/gravity.db" ]; then echo "S $(sqr "$dir/gravity.db" "$VERSION_SQL" 2>/dev/null | head -c 20 | oneline)"; fi
if [ -e "$dir/pihole.toml" ]; then tomlout; fi
exit 0
