#include "gravity_sync/node/remote_node.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <charconv>
#include <ctime>
#include <optional>
#include <sstream>

#include <spdlog/spdlog.h>

#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/sqlite/gravity.hpp"
#include "gravity_sync/sqlite/tables.hpp"
#include "gravity_sync/util/progress.hpp"
#include "gravity_sync/util/sha256.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

// Exit codes our remote scripts use to say "refused for safety" and "failed".
constexpr int kRemoteRefused = 65;

// Shell functions shared by every remote script. cpath: where Pi-hole's programs see a
// host path (inside a container: the bind mounts of /etc/pihole and /etc/dnsmasq.d).
// sq [-readonly] DB SQL...: the sqlite3 shell of pihole-FTL on DB with no ~/.sqliterc,
// plain list output, stopping at the first error; only gravity-sync's own SQL and files.
// sqr DB SQL...: the same, read-only, in the shell's safe mode (no ATTACH, no file or
// shell functions) and with the schema untrusted (a view, trigger or index of the file
// cannot call a function that is not innocuous): for reading a database whose content
// others control. recover DB: roll back a hot journal a crashed writer left (taking the
// write lock does it; no statement of the file runs). gstate NAME DB: the state of a
// gravity.db for inspect: its version, schema listing, digest and freshness, all from
// fixed SQL (the digest's statements chosen by the version, never built from the file).
constexpr const char* kFunctions = R"SH(
fail() { printf '%s\n' "$2" >&2; exit "$1"; }
cpath() {
  if [ "$CT" = 1 ]; then
    case "$1" in
      "$PHD"/*) printf '%s' "/etc/pihole/${1#"$PHD"/}"; return ;;
      "$DND"/*) printf '%s' "/etc/dnsmasq.d/${1#"$DND"/}"; return ;;
    esac
  fi
  printf '%s' "$1"
}
sq() {
  ro=""; [ "$1" = -readonly ] && { ro=-readonly; shift; }
  db=$(cpath "$1"); shift
  ftl sqlite3 -batch -bail -init /dev/null -list -noheader $ro "$db" "$@"
}
sqr() {
  db=$(cpath "$1"); shift
  ftl sqlite3 -batch -bail -init /dev/null -list -noheader -safe -readonly -cmd 'PRAGMA trusted_schema = OFF;' "$db" "$@"
}
recover() {
  [ -s "$1-journal" ] || return 0
  sq "$1" 'BEGIN IMMEDIATE;' 'ROLLBACK;' >/dev/null 2>&1 || true
}
hex() { od -An -v -tx1 | tr -d ' \n'; }
oneline() { tr -c '[:print:]' ' ' | head -c 300 | sed 's/ *$//'; }
tomlout() {  # one line: TOML MTIME HEX of pihole.toml (at most MAXTOML + 1 bytes), or TOML -
  if [ -f "$PHD/pihole.toml" ]; then
    printf 'TOML %s %s\n' "$(stat -c %Y "$PHD/pihole.toml")" "$(head -c "$MAXTOML" "$PHD/pihole.toml" | hex)"
  else
    echo "TOML -"
  fi
}
gstate() {
  recover "$2"
  v=$(sqr "$2" "$VERSION_SQL" 2>&1) || { echo "E $1 not a readable gravity database: $(printf '%s' "$v" | oneline)"; return; }
  echo "S $1 ~V $(printf '%s' "$v" | head -c 64 | hex)"
  d=$(digest_sql_for "$v") || return 0
  out=$(sqr "$2" 'BEGIN;' "$OBJ_SQL" "$COL_SQL" "$d" "$FRESH_SQL" 'COMMIT;' 2>&1); rc=$?
  printf '%s\n' "$out" | grep '^~' | sed "s/^/S $1 /"
  if [ "$rc" != 0 ]; then
    echo "E $1 not a readable gravity database: $(printf '%s\n' "$out" | grep -v '^~' | tail -n 1 | oneline)"
    return
  fi
  echo "H $1 $(printf '%s\n' "$out" | grep -v '^~' | sha256sum | cut -c1-64)"
}
)SH";

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::string rest_after(const std::string& line, size_t words) {
  size_t pos = 0;
  for (size_t i = 0; i < words && pos != std::string::npos; ++i) {
    pos = line.find(' ', pos);
    if (pos != std::string::npos) ++pos;
  }
  return pos == std::string::npos ? "" : line.substr(pos);
}

std::string first_line(const std::string& text) {
  std::string s = text.substr(0, text.find('\n'));
  return s.size() > 400 ? s.substr(0, 400) : s;
}

// The last non-empty line of `text`: where our scripts put their answer or complaint
// (before it, sshd may have said it cannot chdir to a missing home directory).
std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\n");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  std::string s =
      text.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
  return s.size() > 400 ? s.substr(0, 400) : s;
}

// The whole of `word` as a number, or nullopt.
template <typename T>
std::optional<T> to_number(const std::string& word) {
  T value{};
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (ec != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return value;
}

class RemoteLock : public NodeLock {
 public:
  explicit RemoteLock(SshChannel channel) : channel_(std::move(channel)) {}

 private:
  SshChannel channel_;  // the remote flock is held until this channel closes
};

Result<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return make_error(ExitCode::failure, "malformed hex in the remote answer");
  std::string out;
  out.reserve(hex.size() / 2);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return make_error(ExitCode::failure, "malformed hex in the remote answer");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// The last line of `text` that starts with `prefix` (a login shell may print before it).
std::string last_line_starting(const std::string& text, const std::string& prefix) {
  std::string found;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.compare(start, prefix.size(), prefix) == 0) found = text.substr(start, end - start);
    start = end + 1;
  }
  return found;
}

// The line of sudo's complaint in `err` (sshd may print others first).
std::string sudo_complaint(const std::string& err) {
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("sudo:", 0) == 0) return line;
  }
  return first_line(err);
}

}  // namespace

RemoteNode::RemoteNode(SshSession& session, PiholeLayout layout, BackupPolicy backups, std::string local_tmp,
                       RemoteAccess access)
    : session_(session),
      layout_(std::move(layout)),
      backups_(std::move(backups)),
      local_tmp_(std::move(local_tmp)),
      access_(std::move(access)) {}

namespace {

// Shell that defines the fixed SQL the remote scripts run on gravity databases:
// VERSION_SQL, OBJ_SQL, COL_SQL, FRESH_SQL, and digest_sql_for VERSION, which prints the
// digest's statements for a known schema version (and fails for another).
std::string sql_definitions() {
  std::string out = "VERSION_SQL=" + shell_quote(kSchemaVersionSql) + "\nOBJ_SQL=" + shell_quote(kSchemaObjectsSql) +
                    "\nCOL_SQL=" + shell_quote(kSchemaColumnsSql) + "\nFRESH_SQL=" + shell_quote(gravity_fresh_tagged_sql()) +
                    "\ndigest_sql_for() {\n  case \"$1\" in\n";
  for (int version : known_schemas()) {
    out += "    " + std::to_string(version) + ") printf '%s' " + shell_quote(digest_sql(*pihole_schema(version))) + " ;;\n";
  }
  return out + "    *) return 1 ;;\n  esac\n}\n";
}

}  // namespace

std::string RemoteNode::prelude() const {
  std::string out = "MAXTOML=" + std::to_string(kMaxPiholeToml + 1) +
                    "\nCT=" + std::string(layout_.container.empty() ? "0" : "1") +
                    "\nPHD=" + shell_quote(layout_.pihole_dir) + "\nDND=" + shell_quote(layout_.dnsmasq_dir) + "\n";
  return out + "ftl() { " + shell_join(layout_.ftl_argv()) + " \"$@\"; }\nph() { " + shell_join(layout_.pihole_argv()) +
         " \"$@\"; }\n" + sql_definitions() + kFunctions;
}

std::string RemoteNode::shell(const std::string& script) const {
  return (access_.sudo ? "sudo -n /bin/sh -c " : "sh -c ") + shell_quote(script);
}

Status RemoteNode::ready() {
  if (!access_.sudo || sudo_checked_) return {};
  auto r = session_.exec("sudo -n /bin/sh -c 'exit 0'", "", Millis(30'000));
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return make_error(ExitCode::unreachable, "sudo on the remote will not run /bin/sh for " + access_.user +
                                                 " without a password (" + sudo_complaint(r->err) +
                                                 "). gravity-sync runs its remote commands as `sudo -n /bin/sh -c " +
                                                 "...`; allow it with this line on the remote, added with `visudo -f " +
                                                 "/etc/sudoers.d/gravity-sync`: " + sudoers_line(access_.user));
  }
  sudo_checked_ = true;
  return {};
}

Result<ExecResult> RemoteNode::exec_sh(const std::string& script, const std::string& input, Millis timeout) {
  if (auto st = ready(); !st) return st.error();
  return session_.exec(shell(script), input, timeout);
}

Result<ExecResult> RemoteNode::run(const std::map<std::string, std::string>& vars, const std::string& body,
                                   const std::string& input, Millis timeout) {
  std::string script = "set -u\n";
  for (const auto& [k, v] : vars) script += k + "=" + shell_quote(v) + "\n";
  script += prelude() + body;
  return exec_sh(script, input, timeout);
}

int RemoteNode::major_version() {
  if (major_ == 0) {
    auto r = run({{"dir", layout_.pihole_dir}}, "[ -e \"$dir/pihole.toml\" ] && echo 6 || echo 5\n");
    major_ = (r.ok() && r->out.rfind("6", 0) == 0) ? 6 : 5;
  }
  return major_;
}

Result<RemoteNode::TomlAnswer> RemoteNode::parse_toml_line(const std::string& line) {
  // "TOML MTIME HEX" or "TOML -" (no pihole.toml there).
  auto w = split_words(line);
  if (w.size() == 2 && w[1] == "-") return make_error(ExitCode::refused, "remote pihole.toml does not exist");
  if (w.size() < 2 || w.size() > 3) return make_error(ExitCode::failure, "remote pihole.toml: unexpected answer");
  TomlAnswer out;
  int64_t mtime = 0;
  const auto [end, ec] = std::from_chars(w[1].data(), w[1].data() + w[1].size(), mtime);
  if (ec == std::errc() && end == w[1].data() + w[1].size()) out.mtime = mtime;
  auto text = from_hex(w.size() == 3 ? w[2] : "");
  if (!text) return text.error();
  auto toml = PiholeToml::parse(*text);
  if (!toml) return with_context(toml.error(), "remote " + layout_.toml_path());
  out.toml = std::move(*toml);
  out.text = std::move(*text);
  return out;
}

Result<RemoteNode::TomlAnswer> RemoteNode::read_toml() {
  auto r = run({}, "tomlout\n");
  if (!r) return r.error();
  if (r->exit_code != 0)
    return make_error(ExitCode::failure, "remote pihole.toml: cannot read it: " + last_line(r->err));
  return parse_toml_line(last_line_starting(r->out, "TOML "));
}

Result<Records> RemoteNode::read_records(Item item) {
  if (major_version() >= 6) {
    auto toml = read_toml();
    if (!toml) return toml.error();
    return with_context(records_from_toml(toml->toml, item), "remote");
  }
  auto text = read_text_file(item);
  if (!text) return text.error();
  return records_from_file(item, *text);
}

Result<std::string> RemoteNode::read_text_file(Item item) {
  auto r = run({{"live", layout_.item_path(item)}, {"max", std::to_string(kMaxTextItem + 1)}},
               "head -c \"$max\" \"$live\"\n");
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return make_error(ExitCode::failure, std::string("remote ") + item_name(item) + ": cannot read it (exit " +
                                             std::to_string(r->exit_code) + "): " + last_line(r->err));
  }
  if (r->out.size() > kMaxTextItem) {
    return make_error(ExitCode::refused, std::string("remote ") + item_name(item) + " is larger than " +
                                             std::to_string(kMaxTextItem >> 20) + " MiB");
  }
  return std::move(r->out);
}

Result<NodeProbe> RemoteNode::probe(const std::vector<Item>& items) {
  auto r = run({{"dir", layout_.pihole_dir},
                {"dns", layout_.dnsmasq_dir},
                {"php", layout_.pihole_command},
                {"ftlc", layout_.ftl_command},
                {"incontainer", layout_.container.empty() ? "0" : "1"}},
               R"SH(
[ -d "$dir" ] && echo "D 1" || echo "D 0"
[ -f "$dir/gravity.db" ] && echo "G 1" || echo "G 0"
[ -d "$dns" ] && echo "N 1" || echo "N 0"
[ -e "$dir/pihole.toml" ] && echo "T 1" || echo "T 0"
if [ "$incontainer" = 0 ]; then
  command -v "$php" >/dev/null 2>&1 && echo "P 1" || echo "P 0"
  command -v "$ftlc" >/dev/null 2>&1 && echo "F 1" || echo "F 0"
fi
echo "V $(ftl -v 2>/dev/null | head -n 1)"
[ -f "$dir/gravity.db" ] && echo "S $(sq -readonly "$dir/gravity.db" "SELECT value FROM info WHERE property = 'version';" 2>/dev/null)"
[ -e "$dir/pihole.toml" ] && tomlout
exit 0
)SH");
  if (!r) return r.error();
  NodeProbe p;
  bool has_toml = false;
  std::istringstream in(r->out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 2 || line[1] != ' ') continue;  // the TOML line is read below
    const char tag = line[0];
    const std::string value = line.substr(2);
    if (tag == 'D' && value == "0") p.problems.push_back("pihole_dir " + layout_.pihole_dir + " does not exist");
    if (tag == 'G' && value == "0") p.problems.push_back(layout_.pihole_dir + "/gravity.db does not exist");
    if (tag == 'N' && value == "0") p.problems.push_back("dnsmasq_dir " + layout_.dnsmasq_dir + " does not exist");
    if (tag == 'T') has_toml = value == "1";
    if (tag == 'P' && value == "0") p.problems.push_back("command " + layout_.pihole_command + " not found");
    if (tag == 'F' && value == "0") p.problems.push_back("command " + layout_.ftl_command + " not found");
    if (tag == 'V') p.ftl_version = value;
    if (tag == 'S') p.schema_version = std::atoi(value.c_str());
  }
  p.major = has_toml ? 6 : 5;
  major_ = p.major;
  if (!layout_.container.empty() && p.ftl_version.empty()) {
    p.problems.push_back("cannot run pihole-FTL in container " + layout_.container + " (is it running, and is " +
                         layout_.container_prefix().front() + " on the PATH there?)");
  }
  if (p.major == 6) {
    // v6 keeps no dnsmasq files of ours: a missing dnsmasq_dir is not a problem there.
    p.problems.erase(std::remove_if(p.problems.begin(), p.problems.end(),
                                    [](const std::string& s) { return s.rfind("dnsmasq_dir", 0) == 0; }),
                     p.problems.end());
    // Every synced value through the reader sync uses: a node sync cannot read fails here.
    auto toml = parse_toml_line(last_line_starting(r->out, "TOML "));
    for (Item item : items) {
      if (item == Item::gravity) continue;
      auto records = toml ? records_from_toml(toml->toml, item) : Result<Records>(toml.error());
      if (!records) p.problems.push_back(std::string(ftl_key(item)) + " cannot be read: " + records.error().message);
    }
  }
  return p;
}

Result<NodeState> RemoteNode::inspect(const std::vector<Item>& items) {
  std::string body = R"SH(
echo "T $(date +%s)"
if [ -e "$dir/pihole.toml" ]; then v6=1; echo "V 6"; else v6=0; echo "V 5"; fi
values=0
item() {
  # A v6 value: read from pihole.toml (sent once, below) by the same reader as here.
  if [ "$3" = text ] && [ "$v6" = 1 ]; then echo "X $1"; values=1; return; fi
  if [ -f "$2" ]; then
    echo "I $1 1 $(stat -c '%s %Y %i' "$2")"
    if [ "$3" = db ]; then
      gstate "$1" "$2"
    else
      echo "C $1 $(head -c $MAXTEXT "$2" | hex)"
    fi
  elif [ -e "$2" ]; then
    echo "E $1 $2 is not a regular file"
  elif [ ! -d "${2%/*}" ]; then
    echo "E $1 Pi-hole is missing there: directory ${2%/*} does not exist"
  else
    echo "I $1 0"
  fi
}
)SH";
  for (Item item : items) {
    body += std::string("item ") + item_name(item) + " " + shell_quote(layout_.item_path(item)) + " " +
            (item == Item::gravity ? "db" : "text") + "\n";
  }
  body += "[ \"$values\" = 0 ] || tomlout\n";
  auto r = run({{"dir", layout_.pihole_dir}, {"MAXTEXT", std::to_string(kMaxTextItem + 1)}}, body);
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return make_error(ExitCode::failure,
                      "remote inspection failed (exit " + std::to_string(r->exit_code) + "): " + last_line(r->err));
  }
  NodeState state;
  for (Item item : items) state[item] = ItemState{};
  std::vector<Item> values;  // v6 values, read from the TOML line
  std::string toml_line;
  std::map<Item, std::string> listings;  // gravity: the schema listing, version and freshness lines
  std::istringstream in(r->out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("TOML ", 0) == 0) {
      toml_line = line;
      continue;
    }
    auto w = split_words(line);
    if (w.size() < 2) continue;
    if (w[0] == "T") {
      last_time_ = std::atoll(w[1].c_str());
      clock_offset_ = last_time_ - static_cast<int64_t>(std::time(nullptr));
      continue;
    }
    if (w[0] == "V") {
      major_ = std::atoi(w[1].c_str());
      continue;
    }
    auto item = parse_item(w[1]);
    if (!item) continue;
    ItemState& s = state[*item];
    if (w[0] == "I" && w.size() >= 3) {
      s.exists = w[2] == "1";
      if (s.exists && w.size() >= 6) {
        const auto size = to_number<uint64_t>(w[3]);
        const auto mtime = to_number<int64_t>(w[4]);
        const auto inode = to_number<uint64_t>(w[5]);
        if (!size || !mtime || !inode) {
          s.error = "remote " + layout_.item_path(*item) + ": unreadable stat answer";
          s.error_code = ExitCode::failure;
          continue;
        }
        s.size = *size;
        sizes_[*item] = *size;
        s.mtime = s.changed_at = *mtime;
        s.inode = *inode;
      }
    } else if (w[0] == "H" && w.size() >= 3) {
      s.sha256 = w[2];
    } else if (w[0] == "X") {
      values.push_back(*item);
    } else if (w[0] == "C") {
      // A v5 text file's content.
      auto content = from_hex(w.size() >= 3 ? w[2] : "");
      if (!content) return content.error();
      if (content->size() > kMaxTextItem) {
        s.error = std::string("remote ") + item_name(*item) + " is larger than " + std::to_string(kMaxTextItem >> 20) +
                  " MiB; not a Pi-hole text item";
        s.error_code = ExitCode::refused;
      } else {
        s.sha256 = sha256_hex(*content);
        s.canonical = records_digest(*item, records_from_file(*item, *content));
      }
    } else if (w[0] == "S") {
      // "S item ~X ...": a line of the gravity state (gstate).
      listings[*item] += rest_after(line, 2) + "\n";
    } else if (w[0] == "E") {
      s.error = "remote " + layout_.item_path(*item) + ": " + rest_after(line, 2);
      s.error_code = ExitCode::refused;
    }
  }
  for (auto& [item, text] : listings) {
    // The schema is checked first: when it is not Pi-hole's, that is the reason to give.
    ItemState& s = state[item];
    auto checked = check_gravity_listing("remote " + layout_.item_path(item), text);
    if (checked && !s.error.empty()) continue;
    if (!checked) {
      s.error = checked.error().message;
      s.error_code = checked.error().code;
      s.sha256.clear();
      continue;
    }
    s.schema_version = checked->version;
    s.fresh = checked->fresh;
    schema_version_ = checked->version;
  }
  if (!values.empty()) {
    // Every v6 value from the one copy of pihole.toml; a value always exists (an empty
    // array is an empty item), its time is pihole.toml's.
    auto toml = parse_toml_line(toml_line);
    for (Item item : values) {
      ItemState& s = state[item];
      auto records = toml ? with_context(records_from_toml(toml->toml, item), "remote") : Result<Records>(toml.error());
      if (records) {
        s.exists = true;
        s.sha256 = s.canonical = records_digest(item, *records);
        s.changed_at = toml->mtime;
      } else {
        s.error = records.error().message;
        s.error_code = records.error().code;
      }
    }
  }
  for (auto& [item, s] : state) {
    if (s.exists && s.sha256.size() != 64 && s.error.empty()) {
      s.error = std::string("remote ") + item_name(item) + ": no digest in the answer";
      s.error_code = ExitCode::failure;
    }
  }
  return state;
}

Result<std::map<Item, FileInfo>> RemoteNode::stat_items(const std::vector<Item>& items) {
  // SFTP first: no process on the remote, a round trip per file on a channel that stays open.
  std::vector<std::string> paths;
  const int major = major_version();
  for (Item item : items) paths.push_back(layout_.watch_path(item, major));
  auto stats = session_.sftp_stat(paths);
  if (stats) {
    std::map<Item, FileInfo> out;
    for (size_t i = 0; i < items.size(); ++i) {
      FileInfo info;
      info.exists = (*stats)[i].exists;
      info.size = (*stats)[i].size;
      info.mtime = (*stats)[i].mtime;
      out[items[i]] = info;
    }
    return out;
  }
  if (stats.error().code == ExitCode::unreachable) return stats.error();
  spdlog::debug("{}; using stat over exec", stats.error().message);
  std::string body;
  for (Item item : items) {
    body += std::string("echo \"") + item_name(item) + " $(stat -c '%s %Y 0' " +
            shell_quote(layout_.watch_path(item, major)) + " 2>/dev/null || echo missing)\"\n";
  }
  auto r = exec_sh(body, "", Millis(60'000));
  if (!r) return r.error();
  std::map<Item, FileInfo> out;
  std::istringstream in(r->out);
  std::string line;
  while (std::getline(in, line)) {
    auto w = split_words(line);
    if (w.size() < 2) continue;
    auto item = parse_item(w[0]);
    if (!item) continue;
    FileInfo info;
    if (w.size() == 4) {
      info.exists = true;
      info.size = std::stoull(w[1]);
      info.mtime = std::stoll(w[2]);
    }
    out[*item] = info;
  }
  if (out.size() != items.size())
    return make_error(ExitCode::failure, "remote stat: unexpected answer " + first_line(r->out));
  return out;
}

Result<int64_t> RemoteNode::now() {
  if (last_time_ == 0) {
    auto r = session_.exec("date +%s");
    if (!r) return r.error();
    last_time_ = std::atoll(r->out.c_str());
  }
  return last_time_;
}

std::string RemoteNode::staging_dir(Item) const { return local_tmp_; }

Status RemoteNode::check_space(Item item, uint64_t bytes, bool receiving) {
  if (!receiving) return {};  // a text item is read in place; stage() checks room for a snapshot
  if (item != Item::gravity && major_version() >= 6) return {};  // a value FTL writes; a few KB
  const std::string dir = dir_name(layout_.item_path(item));
  auto r = run({{"dir", dir},
                {"bdir", backups_.dir},
                {"receiving", receiving ? "1" : "0"},
                {"need", std::to_string(bytes / 1024 + 1024)}},
               R"SH(
[ -d "$dir" ] || fail 66 "directory $dir does not exist"
set -- "$dir"
if [ "$receiving" = 1 ]; then mkdir -p "$bdir" || fail 66 "cannot create $bdir"; set -- "$dir" "$bdir"; fi
for d in "$@"; do
  free=$(df -Pk "$d" | awk 'NR==2 {print $4}')
  [ "${free:-0}" -ge "$need" ] || fail 65 "not enough disk space in $d: ${free:-0} KiB free, $need KiB needed"
done
)SH");
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return make_error(r->exit_code == kRemoteRefused ? ExitCode::refused : ExitCode::failure,
                      "remote: " + last_line(r->err));
  }
  return {};
}

Result<Staged> RemoteNode::stage(Item item, const std::string& local_dir, const StageOptions& how) {
  const std::string live = layout_.item_path(item);
  auto fresh = new_staged(item, local_dir);
  if (!fresh) return fresh.error();
  Staged& staged = fresh->staged;
  if (item != Item::gravity && (how.form == TextForm::records || major_version() >= 6)) {
    Result<Records> records = Records{};
    if (major_version() < 6) {
      // A v5 file is checked as it is before its records travel, so a foreign line is
      // refused naming its line (rendering could otherwise lose it).
      auto text = read_text_file(item);
      if (!text) return text.error();
      if (auto st = validate_text_item(item, *text); !st) return st.error();
      records = records_from_file(item, *text);
    } else {
      records = read_records(item);
    }
    if (!records) return records.error();
    auto done = staged_records(std::move(*fresh), *records);
    if (done) bytes_ += done->size;
    return done;
  }

  // One exec: for gravity a consistent snapshot (or the tables file) is made next to the
  // live file (inside the bind mount for containers) and streamed while openssl (or
  // sha256sum) hashes it too; text files stream as they are. Hashed here while it arrives.
  if (item == Item::gravity && how.gravity_tables) return stage_tables(std::move(*fresh));
  auto script = std::string("set -u\n") + "live=" + shell_quote(live) + "\ndir=" + shell_quote(dir_name(live)) +
                "\nneed=" + std::to_string(sizes_[item] / 1024 + 1024) + "\n" + prelude();
  if (item == Item::gravity) {
    script += R"SH(
t=$(mktemp "$dir/.gravity-sync.XXXXXXXXXX") || fail 66 "cannot create a temp file in $dir"
trap 'rm -f "$t" "$t.sha"' EXIT
free=$(df -Pk "$dir" | awk 'NR==2 {print $4}')
[ "${free:-0}" -ge "$need" ] || fail 65 "not enough disk space in $dir for a snapshot: ${free:-0} KiB free, $need KiB needed"
err=$(sq "$live" ".backup '$(cpath "$t")'" 2>&1 >/dev/null)
[ -s "$t" ] || fail 66 "snapshot of $live failed: $(printf '%s' "$err" | oneline)"
if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r < "$t" > "$t.sha" & else sha256sum < "$t" > "$t.sha" & fi
cat "$t" || exit 66
wait
printf 'SHA %s
' "$(cut -c1-64 "$t.sha")" >&2
)SH";
  } else {
    script += "head -c " + std::to_string(kMaxTextItem + 1) + " \"$live\"\n";
  }

  Sha256 sha;
  uint64_t received = 0;
  Progress progress(std::string("pull ") + item_name(item), item == Item::gravity ? sizes_[item] : 0);
  const int fd = fresh->fd.get();
  if (auto st = ready(); !st) return st.error();
  // What a peer sends is cut at what it announced (with room for the database to have
  // grown since), and a text item at its cap: memory and disk never grow with a peer's say.
  const uint64_t announced = sizes_[item];
  const uint64_t limit = item == Item::gravity ? announced + std::max<uint64_t>(announced, 64ULL << 20) : kMaxTextItem;
  auto r = session_.exec_stream(shell(script), nullptr, [&](const char* data, size_t size) -> Status {
    if (received + size > limit) {
      return make_error(ExitCode::refused, "remote " + live + " sent more than " + std::to_string(limit) +
                                               " bytes (" +
                                               (item == Item::gravity ? "it announced " + std::to_string(announced)
                                                                      : std::string("the cap of a text item")) +
                                               "); not accepted");
    }
    sha.update(data, size);
    received += size;
    progress.update(received);
    return write_all(fd, data, size);
  });
  if (!r) return with_context(r.error(), "receiving " + live);
  if (r->exit_code != 0) {
    return make_error(r->exit_code == kRemoteRefused ? ExitCode::refused : ExitCode::failure,
                      "cannot read remote " + live + ": " + last_line(r->err));
  }
  // No fsync here: install() fsyncs the copy before it renames it into place.
  bytes_ += received;
  staged.size = received;
  staged.sha256 = sha.hex_digest();
  if (item != Item::gravity) {
    staged.digest = staged.sha256;
    return std::move(staged);
  }
  const std::string sent = last_line(r->err);
  if (sent.rfind("SHA ", 0) != 0 || sent.substr(4) != staged.sha256) {
    return make_error(ExitCode::refused, "checksum mismatch: the remote sent " +
                                             (sent.size() > 4 ? sent.substr(4) : "no checksum") + ", received " +
                                             staged.sha256);
  }
  // The sender's digest of what it sent, computed here on the copy (the same SQL).
  auto digest = gravity_digest(staged.path);
  if (!digest)
    return make_error(ExitCode::refused,
                      "the received copy of remote " + live + " is unreadable: " + digest.error().message);
  staged.digest = digest->sha256;
  return std::move(staged);
}

Result<Staged> RemoteNode::stage_tables(NewStaged fresh) {
  // The remote prints its configuration rows with fixed SQL, read-only; the tables file is
  // built here from that data (tables.hpp). Nothing of the remote database becomes SQL.
  const PiholeSchema* schema = pihole_schema(schema_version_);
  if (!schema) return make_error(ExitCode::refused, "remote gravity.db: unknown schema version");
  const std::string live = layout_.item_path(Item::gravity);
  constexpr size_t kMaxDump = 256 << 20;
  std::string dump;
  if (auto st = ready(); !st) return st.error();
  auto r = session_.exec_stream(
      shell(std::string("set -u\nlive=") + shell_quote(live) + "\nDUMP=" + shell_quote(table_dump_sql(*schema)) + "\n" +
            prelude() + "recover \"$live\"\nsqr \"$live\" 'BEGIN;' \"$DUMP\" 'COMMIT;' || exit 66\n"),
      nullptr, [&](const char* data, size_t size) -> Status {
        if (dump.size() + size > kMaxDump) {
          return make_error(ExitCode::refused, "the remote's configuration tables are larger than 256 MiB");
        }
        dump.append(data, size);
        return {};
      });
  if (!r) return with_context(r.error(), "receiving the configuration tables of remote " + live);
  if (r->exit_code != 0) {
    return make_error(ExitCode::failure, "cannot read the configuration tables of remote " + live + ": " + last_line(r->err));
  }
  bytes_ += dump.size();
  Staged& staged = fresh.staged;
  fresh.fd.close();
  if (auto st = tables_from_dump(*schema, dump, staged.path); !st) return with_context(st.error(), "remote tables");
  auto digest = tables_file_digest(staged.path);
  if (!digest) return digest.error();
  auto info = stat_file(staged.path);
  if (!info) return info.error();
  staged.size = dump.size();  // what travelled
  staged.digest = digest->sha256;
  staged.tables = true;  // made here from the data: no checksum of a file to compare
  return std::move(fresh.staged);
}

Result<Installed> RemoteNode::install(const Staged& staged, const ItemState& current) {
  const std::string live = layout_.item_path(staged.item);
  const std::string dir = dir_name(live);
  if (staged.item != Item::gravity) {
    // What we send must pass the same check a received text item passes here.
    auto content = read_file(staged.path);
    if (!content) return content.error();
    if (auto st = validate_text_item(staged.item, *content); !st) return st.error();
    if (major_version() >= 6) return install_records(staged.item, records_from_file(staged.item, *content));
  }
  if (staged.tables) {
    auto made = tables_file_digest(staged.path);
    if (!made) return made.error();
    if (made->schema_version != current.schema_version) {
      return make_error(ExitCode::refused, "schema version " + std::to_string(made->schema_version) +
                                               " differs from the remote database's " +
                                               std::to_string(current.schema_version) +
                                               "; update Pi-hole on both nodes to the same version first");
    }
  }
  auto uploaded = upload(staged);
  if (!uploaded) return uploaded.error();
  if (staged.tables) return install_tables(staged, *uploaded, current);
  return install_remote_temp(staged.item, *uploaded, staged.sha256, current);
}

Result<std::string> RemoteNode::upload(const Staged& staged) {
  const std::string dir = dir_name(layout_.item_path(staged.item));
  Fd in(::open(staged.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return make_error(ExitCode::failure, "cannot open " + staged.path);
  std::string tmp_path;
  uint64_t sent = 0;
  Progress progress(std::string("push ") + item_name(staged.item), staged.size);
  if (auto st = ready(); !st) return st.error();
  auto up = session_.exec_stream(
      shell("umask 077; t=$(mktemp " + shell_quote(dir + "/.gravity-sync.XXXXXXXXXX") +
            ") || exit 66; cat > \"$t\" || { rm -f \"$t\"; exit 66; }; echo \"$t\""),
      [&](char* buffer, size_t capacity) -> Result<size_t> {
        ssize_t n = ::read(in.get(), buffer, capacity);
        if (n < 0) return make_error(ExitCode::failure, "cannot read " + staged.path);
        sent += static_cast<uint64_t>(n);
        progress.update(sent);
        return static_cast<size_t>(n);
      },
      [&](const char* data, size_t size) -> Status {
        tmp_path.append(data, size);
        return {};
      });
  if (!up) return with_context(up.error(), std::string("sending ") + item_name(staged.item));
  if (up->exit_code != 0)
    return make_error(ExitCode::failure, "cannot write a temp file in remote " + dir + ": " + last_line(up->err));
  bytes_ += staged.size;
  return first_line(tmp_path);
}

Result<Installed> RemoteNode::install_tables(const Staged& staged, const std::string& uploaded,
                                             const ItemState& current) {
  // The tables file was made and checked here (its schema, its digest); there it is checked
  // as received, applied to a snapshot of the live database beside it in one transaction
  // with fixed SQL for that schema, and the result must have the sender's digest; then the
  // usual install.
  const PiholeSchema* schema = pihole_schema(current.schema_version);
  if (!schema) return make_error(ExitCode::refused, "remote gravity.db: unknown schema version");
  const std::string live = layout_.item_path(Item::gravity);
  auto r = run({{"u", uploaded},
                {"live", live},
                {"dir", dir_name(live)},
                {"sha", staged.sha256},
                {"dg", staged.digest},
                {"D", digest_sql(*schema)},
                {"APPLY", tables_apply_sql(*schema)},
                {"KEY", adlists_key_sql()}},
               R"SH(
t=""; keep=0
trap 'rm -f "$u"; [ "$keep" = 1 ] || [ -z "$t" ] || rm -f "$t"' EXIT
got=$(sha256sum < "$u" | cut -c1-64)
[ "$got" = "$sha" ] || fail 65 "checksum mismatch: received $got, sent $sha"
ic=$(sqr "$u" 'PRAGMA integrity_check;' 2>&1 | head -n 5 | oneline)
[ "$ic" = "ok" ] || fail 65 "integrity check of the received tables failed: $ic"
t=$(mktemp "$dir/.gravity-sync.XXXXXXXXXX") || fail 66 "cannot create a temp file in $dir"
recover "$live"
err=$(sq "$live" ".backup '$(cpath "$t")'" 2>&1 >/dev/null)
[ -s "$t" ] || fail 66 "snapshot of $live failed: $(printf '%s' "$err" | oneline)"
res=$({ printf "PRAGMA foreign_keys = OFF;\nATTACH '%s' AS x;\nBEGIN IMMEDIATE;\n%s\n%s%s\nCOMMIT;\n" \
          "$(cpath "$u")" "$KEY" "$APPLY" "$KEY"; } | sq "$t" 2>&1) \
  || fail 65 "cannot apply the received configuration tables: $(printf '%s' "$res" | tail -n 1 | oneline)"
before=$(printf '%s\n' "$res" | head -n 1)
after=$(printf '%s\n' "$res" | tail -n 1)
d=$(sqr "$t" 'BEGIN;' "$D" 'COMMIT;' | sha256sum | cut -c1-64)
[ "$d" = "$dg" ] || fail 65 "after applying the received tables the configuration digest is $d, not the sender's $dg"
[ "$before" = "$after" ] && changed=0 || changed=1
echo "$t $changed"
keep=1
)SH");
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return make_error(r->exit_code == kRemoteRefused ? ExitCode::refused : ExitCode::failure,
                      "remote gravity: " + last_line(r->err));
  }
  auto w = split_words(last_line(r->out));
  if (w.size() != 2) return make_error(ExitCode::failure, "remote tables: unexpected answer " + first_line(r->out));
  // Made there from its own database: no checksum to compare (nothing travelled).
  auto installed = install_remote_temp(Item::gravity, w[0], "", current);
  if (installed) installed->rebuild = w[1] == "1";
  return installed;
}

Result<Installed> RemoteNode::install_remote_temp(Item item, const std::string& tmp, const std::string& sha,
                                                  const ItemState& current) {
  // A database here is one whose schema was checked already: on the bytes the checksum
  // names when pushed, by the check of its listing for a restore, or the remote's own
  // (inspected) database with the received tables applied.
  const std::string live = layout_.item_path(item);
  const std::string stamp = backup_stamp();

  auto r = run({{"t", tmp},
                {"live", live},
                {"dir", dir_name(live)},
                {"sha", sha},
                {"kind", item == Item::gravity ? "db" : "text"},
                {"want", std::to_string(current.exists ? current.schema_version : 0)},
                {"bdir", backups_.dir + "/" + item_name(item)},
                {"bname", stamp + backup_suffix(item)},
                {"keep", std::to_string(backups_.keep)},
                {"mode", item == Item::gravity ? "664" : "644"}},
               R"SH(
trap 'rm -f "$t"' EXIT
if [ -n "$sha" ]; then
  got=$(sha256sum < "$t" | cut -c1-64)
  [ "$got" = "$sha" ] || fail 65 "checksum mismatch: received $got, sent $sha"
fi
if [ "$kind" = db ]; then
  ic=$(sqr "$t" 'PRAGMA integrity_check;' 2>&1 | head -n 5 | oneline)
  [ "$ic" = "ok" ] || fail 65 "integrity check failed: $ic"
  v=$(sqr "$t" "$VERSION_SQL" 2>&1 | oneline)
  [ "$want" = 0 ] || [ "$v" = "$want" ] || fail 65 "schema version $v differs from the live database's $want; update Pi-hole on both nodes to the same version first"
  i=0
  while [ -e "${live}_temp" ]; do
    i=$((i + 1)); [ $i -le 120 ] || fail 65 "Pi-hole is rebuilding gravity there (${live}_temp exists); try again when pihole -g has finished"
    sleep 0.25
  done
fi
if [ -e "$live" ]; then
  mkdir -p "$bdir" || fail 66 "cannot create $bdir"
  bt="$bdir/.gravity-sync.$$"
  if [ "$kind" = db ]; then
    # Snapshot beside the live file (inside a container's bind mount), then move it.
    bs="$dir/.gravity-sync.backup.$$"
    sq "$live" ".backup '$(cpath "$bs")'" >/dev/null 2>&1 || { rm -f "$bs"; fail 66 "backup of $live failed"; }
    mv -f "$bs" "$bt" || { rm -f "$bs" "$bt"; fail 66 "cannot move the backup of $live to $bdir"; }
  else
    cp "$live" "$bt" || { rm -f "$bt"; fail 66 "backup of $live failed"; }
  fi
  mv -f "$bt" "$bdir/$bname" || fail 66 "cannot store backup"
  echo "BACKUP $bname"
  owner=$(stat -c '%u:%g' "$live"); perm=$(stat -c '%a' "$live")
else
  owner=$(stat -c '%u:%g' "$dir"); perm=$mode
fi
chown "$owner" "$t" 2>/dev/null || [ "$(id -u)" != 0 ] || fail 66 "cannot set owner of $t"
chmod "$perm" "$t" || fail 66 "cannot set mode of $t"
if [ "$kind" = db ] && [ -e "$live" ]; then
  i=0
  while [ -s "$live-journal" ] || [ -s "$live-wal" ]; do
    i=$((i + 1)); [ $i -le 40 ] || fail 65 "a hot journal or WAL lies beside $live; not swapping over it"
    sleep 0.25
  done
fi
sync "$t" 2>/dev/null || sync
old=""
if [ "$kind" = db ] && [ -e "$live" ]; then
  # FTL keeps the database open: the replaced file stays linked under another name until
  # FTL has reopened it (FTL v6 ignores a renamed file, but warns about an unlinked one).
  old=$(mktemp -u "$dir/.gravity-sync.old.XXXXXXXXXX") && ln "$live" "$old" 2>/dev/null && echo "OLD $old" || old=""
fi
mv -f "$t" "$live" || { [ -z "$old" ] || rm -f "$old"; fail 66 "cannot rename $t over $live"; }
trap - EXIT
sync "$dir" 2>/dev/null || sync
echo DONE
)SH");
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return make_error(r->exit_code == kRemoteRefused ? ExitCode::refused : ExitCode::failure,
                      "remote " + std::string(item_name(item)) + ": " + last_line(r->err));
  }
  Installed result;
  std::istringstream in(r->out);
  std::string line;
  bool done = false;
  while (std::getline(in, line)) {
    if (line.rfind("BACKUP ", 0) == 0) {
      std::string bname = line.substr(7);
      std::string stamp_part = bname.substr(0, bname.find('.'));
      result.backup_id = std::string("remote:") + item_name(item) + ":" + stamp_part;
    }
    if (line == "DONE") done = true;
    if (line.rfind("OLD ", 0) == 0) replaced_.push_back(line.substr(4));
  }
  if (!done)
    return make_error(ExitCode::failure, "remote install of " + std::string(item_name(item)) + " did not confirm");
  spdlog::info("remote {}: installed {}", item_name(item), live);
  return result;
}

Result<Installed> RemoteNode::install_records(Item item, const Records& records) {
  const std::string json = ftl_array_json(records);
  if (auto st = check_ftl_value_size(item, json); !st) return with_context(st.error(), "remote");
  // Keep what we replace, as the v5 file that holds it; then let FTL set the new value.
  // Each travels on stdin (not in the command line, which has a size limit of its own).
  auto old = read_records(item);
  if (!old) return with_context(old.error(), "cannot read the value to back it up; not replacing it");
  const std::string stamp = backup_stamp();
  const std::string bdir = backups_.dir + "/" + item_name(item);
  const std::string bname = stamp + backup_suffix(item);
  auto kept = run({{"bdir", bdir}, {"bname", bname}}, R"SH(
mkdir -p "$bdir" || fail 66 "cannot create $bdir"
bt="$bdir/.gravity-sync.$$"
cat > "$bt" || { rm -f "$bt"; fail 66 "cannot write a backup in $bdir"; }
mv -f "$bt" "$bdir/$bname" || { rm -f "$bt"; fail 66 "cannot store backup"; }
echo "BACKUP $bname"
)SH",
                  file_from_records(item, *old));
  if (!kept) return kept.error();
  if (kept->exit_code != 0 || last_line_starting(kept->out, "BACKUP ").empty()) {
    return make_error(ExitCode::failure, "remote " + std::string(item_name(item)) + ": " + last_line(kept->err));
  }
  ftl_pacer().before_change(*this);
  auto r = run({{"bdir", bdir}, {"bname", bname}, {"key", ftl_key(item)}},
               R"SH(
value=$(cat)
out=$(ftl --config "$key" "$value" 2>&1); rc=$?
[ "$rc" = 0 ] || rm -f "$bdir/$bname"
echo "FTL $rc $(printf '%s' "$out" | head -c 600 | hex)"
[ "$rc" != 0 ] || tomlout
)SH",
               json);
  ftl_pacer().after_change(ftl_set_restarts(item));  // whatever came back, FTL may have taken it
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return make_error(r->exit_code == kRemoteRefused ? ExitCode::refused : ExitCode::failure,
                      "remote " + std::string(item_name(item)) + ": " + last_line(r->err));
  }
  Installed result;
  // "FTL RC HEX": pihole-FTL's exit code and what it printed.
  const auto w = split_words(last_line_starting(r->out, "FTL "));
  const auto ftl_rc = w.size() >= 2 ? to_number<int>(w[1]) : std::nullopt;
  if (!ftl_rc) {
    return make_error(ExitCode::failure, "remote " + std::string(item_name(item)) + ": pihole-FTL did not answer");
  }
  if (*ftl_rc != 0) {
    auto detail = from_hex(w.size() >= 3 ? w[2] : "");
    return with_context(ftl_set_error(item, *ftl_rc, detail ? *detail : ""), "remote");
  }
  result.backup_id = std::string("remote:") + item_name(item) + ":" + stamp;
  // What FTL now holds, read back the way sync reads it: the value must be the one sent.
  auto toml = parse_toml_line(last_line_starting(r->out, "TOML "));
  auto now = toml ? with_context(records_from_toml(toml->toml, item), "remote") : Result<Records>(toml.error());
  if (!now) {
    return make_error(ExitCode::failure, std::string("remote pihole-FTL set the new ") + ftl_key(item) +
                                             ", but reading it back failed (the value is in place): " +
                                             now.error().message);
  }
  if (records_digest(item, *now) != records_digest(item, records)) {
    return make_error(ExitCode::failure, std::string("remote pihole-FTL accepted the new ") + ftl_key(item) +
                                             " but pihole.toml holds a different value; it is left as FTL wrote it");
  }
  spdlog::info("remote {}: set {} ({} records)", item_name(item), ftl_key(item), records.size());
  prune_backups(item);
  return result;
}

Status RemoteNode::reload(Reload level) {
  auto args = reload_args(level, major_version());
  if (args.empty()) return {};
  return run_pihole(args, Millis(120'000), "reloading Pi-hole");
}

Result<FtlStatus> RemoteNode::ftl_status() {
  const int major = major_version();
  if (!pid_file_) {
    // Once per connection: FTL's PID file (from pihole.toml or pihole-FTL.conf) and SIGRTMIN.
    auto r = run({{"v6", major >= 6 ? "1" : "0"}}, R"SH(
if [ "$v6" = 1 ]; then
  tomlout
  printf 'R %s\n' "$(ftl sigrtmin 2>/dev/null | head -c 16)"
else
  printf 'C %s\n' "$(head -c 65536 "$PHD/pihole-FTL.conf" 2>/dev/null | hex)"
fi
)SH");
    if (!r) return r.error();
    std::string toml_text, conf_text;
    if (major >= 6) {
      if (auto toml = parse_toml_line(last_line_starting(r->out, "TOML ")); toml) toml_text = toml->text;
    } else {
      const auto w = split_words(last_line_starting(r->out, "C "));
      if (auto conf = from_hex(w.size() >= 2 ? w[1] : ""); conf) conf_text = *conf;
    }
    pid_file_ = ftl_pid_file(major, toml_text, conf_text);
    const std::string rt = last_line_starting(r->out, "R ");
    sigrtmin_ = ftl_sigrtmin(major, rt.size() > 2 ? rt.substr(2) : "");
  }
  auto r = run({}, "ftl " + shell_join(ftl_status_args(*pid_file_, sigrtmin_)) + "\n", "", Millis(30'000));
  if (!r) return r.error();
  return parse_ftl_status(r->out.empty() ? last_line(r->err) : r->out);
}

void RemoteNode::release_replaced(Millis wait) {
  if (replaced_.empty()) return;
  std::string body = "n=" + std::to_string(std::max<long>(1, static_cast<long>(wait.count() / 50))) + "\n" + R"SH(
held() {  # is "$1" open in any process?
  for f in /proc/[0-9]*/fd/*; do [ "$f" -ef "$1" ] && return 0; done
  return 1
}
release() {
  i=0
  while held "$1"; do
    i=$((i + 1)); [ $i -le "$n" ] || { echo "KEPT $1"; return; }
    sleep 0.05
  done
  rm -f "$1"
}
)SH";
  for (const auto& path : replaced_) body += "release " + shell_quote(path) + "\n";
  auto r = run({}, body, "", wait + Millis(30'000));
  if (r.ok() && !last_line_starting(r->out, "KEPT ").empty()) {
    spdlog::debug("remote: a replaced gravity.db is still open; the next run removes it");
  }
  replaced_.clear();
}

Status RemoteNode::rebuild_gravity() { return run_pihole({"-g"}, kRebuildTimeout, "rebuilding gravity"); }

Status RemoteNode::run_pihole(const std::vector<std::string>& args, Millis timeout, const char* what) {
  const std::string shown = join_args(layout_.pihole_argv(args));
  spdlog::info("remote: {}: {}", what, shown);
  auto r = run({}, "ph " + shell_join(args) + "\n", "", timeout);
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return make_error(ExitCode::failure, "remote `" + shown + "` failed (exit " + std::to_string(r->exit_code) +
                                             "): " + last_line(r->err));
  }
  return {};
}

Result<std::unique_ptr<NodeLock>> RemoteNode::lock(Millis wait) {
  // The lock file sits in the parent of the remote backup_dir: with default layouts that
  // is the state_dir of a gravity-sync running there, so both tools take one lock.
  const std::string lock_path = dir_name(backups_.dir) + "/gravity-sync.lock";
  const long secs = std::max<long>(1, static_cast<long>(wait.count() / 1000));
  std::string script = "mkdir -p " + shell_quote(dir_name(lock_path)) + " || exit 66; exec 9>>" +
                       shell_quote(lock_path) +
                       " || exit 66; command -v flock >/dev/null || { echo NOFLOCK; exit 66; }; " + "if flock -w " +
                       std::to_string(secs) + " 9; then echo LOCKED; exec cat >/dev/null; else echo BUSY; fi";
  if (auto st = ready(); !st) return st.error();
  auto channel = session_.open(shell(script));
  if (!channel) return channel.error();
  auto line = channel->read_line(wait + Millis(15'000));
  if (!line) return with_context(line.error(), "cannot lock the remote node");
  if (*line == "BUSY") {
    return make_error(ExitCode::locked, "another gravity-sync run holds the remote lock " + lock_path + " (waited " +
                                            format_duration(wait) + ")");
  }
  if (*line != "LOCKED") return make_error(ExitCode::failure, "cannot lock the remote node: " + *line);
  return std::unique_ptr<NodeLock>(std::make_unique<RemoteLock>(std::move(*channel)));
}

void RemoteNode::clean_stale() {
  auto r = run({{"a", layout_.pihole_dir}, {"b", layout_.dnsmasq_dir}, {"c", backups_.dir}}, R"SH(
n=0
for f in "$a"/.gravity-sync.* "$b"/.gravity-sync.* "$c"/*/.gravity-sync.*; do
  [ -f "$f" ] && rm -f "$f" && n=$((n + 1))
done
echo "$n"
)SH",
               "", Millis(5'000));
  if (r.ok() && std::atoi(r->out.c_str()) > 0) {
    spdlog::info("remote: removed {} temp file(s) left by an interrupted run", std::atoi(r->out.c_str()));
  }
}

void RemoteNode::prune_backups(Item item) {
  auto all = backups();
  if (!all) return;
  std::vector<BackupEntry> mine;
  for (auto& b : *all) {
    if (b.item == item) mine.push_back(b);
  }
  std::string body;
  for (const auto& old : backups_to_prune(mine, backups_.keep)) {
    // The name is ours (stamp and suffix), never the path the remote listed.
    const std::string stamp = old.id.substr(old.id.rfind(':') + 1);
    body += "rm -f -- " + shell_quote(backups_.dir + "/" + item_name(item) + "/" + stamp + backup_suffix(item)) + "\n";
  }
  if (body.empty()) return;
  auto r = run({}, body);
  if (!r || r->exit_code != 0) spdlog::debug("remote: pruning old backups of {} failed", item_name(item));
}

Result<std::vector<BackupEntry>> RemoteNode::backups() {
  auto r = run({{"c", backups_.dir}}, R"SH(
for f in "$c"/*/*; do
  [ -f "$f" ] && echo "$(stat -c %s "$f") $f"
done
exit 0
)SH");
  if (!r) return r.error();
  std::vector<BackupEntry> out;
  std::istringstream in(r->out);
  std::string line;
  while (std::getline(in, line)) {
    auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    const std::string path = line.substr(sp + 1);
    const std::string file = base_name(path);
    auto item = parse_item(base_name(dir_name(path)));
    if (!item) continue;
    const std::string stamp = file.substr(0, file.find('.'));
    if (file != stamp + backup_suffix(*item) || parse_backup_stamp(stamp) == 0) continue;
    BackupEntry b;
    b.id = std::string("remote:") + item_name(*item) + ":" + stamp;
    b.node = "remote";
    b.item = *item;
    b.time = parse_backup_stamp(stamp);
    b.size = std::stoull(line.substr(0, sp));
    b.path = path;
    out.push_back(b);
  }
  std::sort(out.begin(), out.end(), [](const BackupEntry& a, const BackupEntry& b) { return a.id < b.id; });
  return out;
}

Result<Installed> RemoteNode::restore(const BackupEntry& entry, const ItemState& current) {
  if (entry.item != Item::gravity && major_version() >= 6) {
    // A v6 value: the backup holds its records as a v5 file; checked, then set through FTL.
    auto content = exec_sh("cat " + shell_quote(entry.path));
    if (!content) return content.error();
    if (content->exit_code != 0) return make_error(ExitCode::failure, "cannot read remote " + entry.path);
    if (auto st = validate_text_item(entry.item, content->out); !st) return st.error();
    return install_records(entry.item, records_from_file(entry.item, content->out));
  }
  const std::string dir = dir_name(layout_.item_path(entry.item));
  auto r = run({{"src", entry.path}, {"dir", dir}}, R"SH(
umask 077
t=$(mktemp "$dir/.gravity-sync.XXXXXXXXXX") || fail 66 "cannot create a temp file in $dir"
cp "$src" "$t" || { rm -f "$t"; fail 66 "cannot copy $src"; }
echo "$t $(sha256sum < "$t" | cut -c1-64)"
)SH");
  if (!r) return r.error();
  if (r->exit_code != 0) return make_error(ExitCode::failure, "remote restore: " + last_line(r->err));
  auto w = split_words(r->out);
  if (w.size() < 2) return make_error(ExitCode::failure, "remote restore: unexpected answer");
  if (entry.item != Item::gravity) {
    // Text backups are checked like any received text before they go back in place.
    auto content = exec_sh("cat " + shell_quote(w[0]));
    if (!content) return content.error();
    if (auto st = validate_text_item(entry.item, content->out); !st) {
      (void)exec_sh("rm -f " + shell_quote(w[0]));  // best effort; clean_stale catches the rest
      return st.error();
    }
  }
  return install_remote_temp(entry.item, w[0], w[1], current);
}

}  // namespace gs
