# Verb swap: run by install through sqlite3's .shell while sqlite3 holds the write lock on
# the live gravity.db (possibly inside Pi-hole's container: no library, no prelude). Its
# files lie in the private directory beside it: swap.live, swap.old, swap.file (the copy's
# name), swap.tenths (how long to wait for a journal, 0.1 s); it writes swap.out: JOURNAL
# (a journal stayed), or OLD (the replaced file is linked at swap.old) and DONE. Only
# POSIX tools, as BusyBox has them.
cd -- "${0%/*}" || exit 1
live=$(cat swap.live); old=$(cat swap.old); f=$(cat swap.file); n=$(cat swap.tenths)
while [ -s "$live-journal" ] || [ -s "$live-wal" ]; do
  n=$((n - 1))
  if [ "$n" -le 0 ]; then echo JOURNAL > swap.out; exit 0; fi
  sleep 0.1
done
: > swap.out
# FTL keeps the database open: the replaced file stays linked under another name until
# FTL has reopened it (FTL v6 ignores a renamed file, but warns about an unlinked one).
if ln -- "$live" "$old" 2>/dev/null; then echo OLD >> swap.out; fi
# mv -T never moves into a directory that took the live file's name; a BusyBox mv without
# -T (some container images) checks for one first.
if mv -fT -- "$f" "$live" 2>/dev/null || { [ ! -d "$live" ] && mv -f -- "$f" "$live"; }; then
  echo DONE >> swap.out
else
  rm -f -- "$old"
fi
