# shellcheck disable=SC2154  # inputs
# Verb inspect: the state of some items, in one round trip.
# Inputs: dir (pihole_dir), MAXTEXT (bytes of a text item to read at most); the
# arguments, three per item: NAME PATH KIND (KIND db for gravity.db, text otherwise).
# Answer: T SECONDS (the clock), V 5|6, then per item: I NAME 0 (missing) or
# I NAME 1 SIZE MTIME INODE; for a database the lines of gstate (S NAME ..., H NAME DIGEST);
# for a v5 text file C NAME HEX; for a v6 value X NAME (read from pihole.toml, which then
# follows as read_toml answers); E NAME MESSAGE when it cannot be read.
echo "T $(date +%s)"
if [ -e "$dir/pihole.toml" ]; then v6=1; echo "V 6"; else v6=0; echo "V 5"; fi
values=0
item() {
  if [ "$3" = text ] && [ "$v6" = 1 ]; then echo "X $1"; values=1; return; fi
  if [ -L "$2" ]; then
    echo "E $1 $(linkmsg "$2")"
  elif [ -f "$2" ]; then
    # A hot journal is rolled back first: the stats (which swap compares) are then those
    # of the file as gstate reads it.
    if [ "$3" = db ]; then recover "$2"; fi
    echo "I $1 1 $(stat -c '%s %Y %i' -- "$2")"
    if [ "$3" = db ]; then
      gstate "$1" "$2"
    elif readhex "$2" "$MAXTEXT"; then
      echo "C $1 $HEX"
    else
      echo "E $1 $RERR"
    fi
  elif [ -e "$2" ]; then
    echo "E $1 $2 is not a regular file"
  elif [ ! -d "${2%/*}" ]; then
    echo "E $1 Pi-hole is missing there: directory ${2%/*} does not exist"
  else
    echo "I $1 0"
  fi
}
while [ $# -ge 3 ]; do
  item "$1" "$2" "$3"
  shift 3
done
if [ "$values" = 1 ]; then tomlout; fi
