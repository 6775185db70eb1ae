#include "gravity_sync/node/remote_node.hpp"

#include "gravity_sync/node/remote_scripts.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <ctime>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/pihole/text_items.hpp"
#include "gravity_sync/sqlite/database.hpp"
#include "gravity_sync/sqlite/gravity.hpp"
#include "gravity_sync/sqlite/tables.hpp"
#include "gravity_sync/util/progress.hpp"
#include "gravity_sync/util/sha256.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

// The exit status our remote scripts use to say "refused for safety" (fail 65).
constexpr int kRemoteRefused = 65;


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

// The last non-empty line of `text` (a command's stderr), printable, for a message.
std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\r\n");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return printable(std::string_view(text).substr(start, end + 1 - start), 400);
}

// The line of sudo's complaint in `err` (sshd may print others first), printable.
std::string sudo_complaint(const std::string& err) {
  size_t start = 0;
  while (start < err.size()) {
    size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    if (err.compare(start, 5, "sudo:") == 0) return printable(std::string_view(err).substr(start, end - start), 400);
    start = end + 1;
  }
  return last_line(err);
}

// The answer lines joined with newlines, at most `max` bytes of them (for a parser of a
// program's own short output: what more a peer sends is not copied).
std::string joined(const RemoteAnswer& a, size_t max = 64 << 10) {
  std::string out;
  for (const auto& line : a.lines) {
    if (out.size() + line.size() + 1 > max) break;
    out += line + "\n";
  }
  return out;
}

class RemoteLock : public NodeLock {
 public:
  explicit RemoteLock(SshChannel channel) : channel_(std::move(channel)) {}

 private:
  SshChannel channel_;  // the remote flock is held until this channel closes
};

}  // namespace

RemoteNode::RemoteNode(SshSession& session, PiholeLayout layout, BackupPolicy backups, std::string local_tmp,
                       RemoteAccess access)
    : PiholeNode(Side::remote, std::move(layout), std::move(backups)),
      session_(session),
      local_tmp_(std::move(local_tmp)),
      access_(std::move(access)) {}

const std::string& RemoteNode::prelude() {
  // The same for every command of this node: built once.
  if (prelude_.empty()) {
    prelude_ = "MAXTOML=" + std::to_string(kMaxPiholeToml + 1) + "\nBUSYMS=" + std::to_string(kBusyTimeoutMs) +
               "\nCT=" + std::string(layout_.container.empty() ? "0" : "1") +
               "\nPHD=" + shell_quote(layout_.pihole_dir) + "\nDND=" + shell_quote(layout_.dnsmasq_dir) +
               "\nLINKMSG=" + shell_quote(kSymlinkRefusal) + "\nFTLC=" + shell_quote(layout_.ftl_command) +
               (layout_.container.empty() ? "" : "\nctx() { " + shell_join(layout_.container_prefix()) + " \"$@\"; }") +
               "\nftl() { " + shell_join(layout_.ftl_argv()) +
               " \"$@\"; }\nftlset() { " + shell_join(layout_.ftl_config_argv()) + " \"$@\"; }\nph() { " +
               shell_join(layout_.pihole_argv()) + " \"$@\"; }\n" + sql_definitions() +
               std::string(remote_script::lib);
  }
  return prelude_;
}

std::string RemoteNode::shell(const std::string& script) const {
  return (access_.sudo ? "sudo -n /bin/sh -c " : "sh -c ") + shell_quote(script);
}

std::string RemoteNode::new_work_dir(Item item) const {
  return dir_name(layout_.item_path(item)) + "/" + kTempPrefix + new_nonce();
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

Result<RemoteAnswer> RemoteNode::run(std::string_view verb, const std::map<std::string, std::string>& vars,
                                     const std::vector<std::string>& args, const std::string& input, Millis timeout,
                                     const DataSink& payload, const DataSource& source) {
  if (auto st = ready(); !st) return st.error();
  const std::string nonce = new_nonce();
  std::string script = "N=" + nonce + "\nprintf '=GS %s BEGIN\\n' \"$N\"\nset -u\numask 077\n";
  for (const auto& [k, v] : vars) script += k + "=" + shell_quote(v) + "\n";
  script += "set -- " + shell_join(args) + "\n";
  script += prelude();
  script += verb;
  FrameReader reader(nonce, payload);
  size_t offset = 0;
  DataSource from_input = [&](char* buffer, size_t capacity) -> Result<size_t> {
    const size_t n = std::min(capacity, input.size() - offset);
    std::copy_n(input.data() + offset, n, buffer);
    offset += n;
    return n;
  };
  auto r = session_.exec_stream(
      shell(script), source ? source : from_input,
      [&](const char* data, size_t size) -> Status { return reader.feed(data, size); }, timeout);
  if (!r) return r.error();
  RemoteAnswer answer = reader.finish();
  if (!answer.noise.empty() && shell_noise_.empty()) {
    shell_noise_ = answer.noise;
    spdlog::warn("remote: the remote shell printed outside gravity-sync's answer (ignored): {}", answer.noise);
  }
  if (!answer.began) {
    return make_error(ExitCode::failure, "the remote command did not run (exit " + std::to_string(r->exit_code) +
                                             ")" + (r->err.empty() ? "" : ": " + last_line(r->err)));
  }
  if (!answer.ended) {
    return make_error(ExitCode::failure, "the remote command's answer was cut short (exit " +
                                             std::to_string(r->exit_code) + ")" +
                                             (r->err.empty() ? "" : ": " + last_line(r->err)));
  }
  if (answer.exit_code != 0 && answer.error.empty() && !r->err.empty()) answer.error = last_line(r->err);
  return answer;
}

Error RemoteNode::failed(const RemoteAnswer& answer, const std::string& what) const {
  return make_error(answer.exit_code == kRemoteRefused ? ExitCode::refused : ExitCode::failure,
                    what + ": " + (answer.error.empty() ? "exit " + std::to_string(answer.exit_code) : answer.error));
}

int RemoteNode::major_version() {
  if (major_ == 0) {
    auto r = run(remote_script::major_version, {});
    major_ = (r.ok() && r->last("MAJOR ") == "6") ? 6 : 5;
  }
  return major_;
}

Result<RemoteNode::TomlAnswer> RemoteNode::parse_toml_answer(const RemoteAnswer& answer) {
  // "TOML MTIME HEX", "TOML -" (no pihole.toml there) or "TOMLERR MESSAGE".
  if (auto why = answer.last("TOMLERR ")) return make_error(ExitCode::refused, "remote " + printable(*why, 400));
  auto line = answer.last("TOML ");
  if (!line) return make_error(ExitCode::failure, "remote pihole.toml: no answer");
  auto w = split_words(*line);
  if (w.size() == 1 && w[0] == "-") return make_error(ExitCode::refused, "remote pihole.toml does not exist");
  if (w.empty() || w.size() > 2) return make_error(ExitCode::failure, "remote pihole.toml: unexpected answer");
  TomlAnswer out;
  out.mtime = to_number<int64_t>(w[0]);
  auto text = from_hex(w.size() == 2 ? w[1] : "");
  if (!text) return text.error();
  auto toml = PiholeToml::parse(*text);
  if (!toml) return with_context(toml.error(), "remote " + layout_.toml_path());
  out.toml = std::move(*toml);
  out.text = std::move(*text);
  return out;
}

Result<RemoteNode::TomlAnswer> RemoteNode::read_toml_answer() {
  auto r = run(remote_script::read_toml, {});
  if (!r) return r.error();
  if (r->exit_code != 0) return failed(*r, "remote pihole.toml: cannot read it");
  return parse_toml_answer(*r);
}

Result<PiholeToml> RemoteNode::read_toml() {
  auto answer = read_toml_answer();
  if (!answer) return answer.error();
  return std::move(answer->toml);
}

Result<std::string> RemoteNode::read_backup_text(const BackupEntry& entry) {
  // entry.path is ours (backup_entry builds it), checked to be a regular file there.
  return read_text_at(entry.item, entry.path, "remote " + entry.path);
}

Result<std::string> RemoteNode::read_text_file(Item item) {
  return read_text_at(item, layout_.item_path(item), std::string("remote ") + item_name(item));
}

Result<std::string> RemoteNode::read_text_at(Item item, const std::string& path, const std::string& what) {
  auto r = run(remote_script::read_text, {{"src", path}, {"max", std::to_string(kMaxTextItem + 1)}});
  if (!r) return r.error();
  if (r->exit_code != 0) return failed(*r, what + ": cannot read it");
  auto content = from_hex(r->last("C ").value_or(""));
  if (!content) return content.error();
  if (auto st = check_text_size(item, content->size()); !st) return with_context(st.error(), "remote");
  return content;
}

Result<NodeProbe> RemoteNode::probe(const std::vector<Item>& items) {
  auto r = run(remote_script::probe, {{"dir", layout_.pihole_dir},
                                      {"dns", layout_.dnsmasq_dir},
                                      {"php", layout_.pihole_command},
                                      {"ftlc", layout_.ftl_command},
                                      {"incontainer", layout_.container.empty() ? "0" : "1"}});
  if (!r) return r.error();
  NodeProbe p;
  bool has_toml = false, no_pihole = false, no_gravity = false;
  const std::string db = layout_.pihole_dir + "/gravity.db";
  for (const auto& line : r->lines) {
    if (line.size() < 2 || line[1] != ' ') continue;  // the TOML line is read below
    const char tag = line[0];
    const std::string value = line.substr(2);
    if (tag == 'D' && value == "0") p.problems.push_back(missing_dir("remote", "pihole_dir", layout_.pihole_dir));
    if (tag == 'G' && value == "0") p.problems.push_back(missing_gravity("remote", db));
    if (tag == 'G' && (value == "L" || value == "X")) p.problems.push_back(irregular_file(db, value == "L").message);
    if (tag == 'N' && value == "0") p.problems.push_back(missing_dir("remote", "dnsmasq_dir", layout_.dnsmasq_dir));
    if (tag == 'T') has_toml = value == "1";
    if (tag == 'D' && value == "0") no_pihole = true;
    if (tag == 'G' && value == "0") no_gravity = true;
    if (tag == 'P' && value == "0") p.problems.push_back(missing_command("remote", "pihole_command", layout_.pihole_command));
    if (tag == 'F' && value == "0") p.problems.push_back(missing_command("remote", "ftl_command", layout_.ftl_command));
    if (tag == 'V') p.ftl_version = printable(value, 200);
    if (tag == 'S') p.schema_version = to_number<int>(value).value_or(0);
  }
  major_ = has_toml ? 6 : 5;
  p.major = no_pihole || (no_gravity && !has_toml) ? 0 : major_;
  if (!layout_.container.empty() && p.ftl_version.empty()) {
    p.problems.push_back(no_ftl_in_container("remote", layout_));
  }
  if (major_ == 6) {
    // v6 keeps no dnsmasq files of ours: a missing dnsmasq_dir is not a problem there.
    p.problems.erase(std::remove_if(p.problems.begin(), p.problems.end(),
                                    [](const std::string& s) { return s.rfind("remote.dnsmasq_dir", 0) == 0; }),
                     p.problems.end());
    // Every synced value through the reader sync uses: a node sync cannot read fails here.
    auto answer = parse_toml_answer(*r);
    add_unreadable_values(p, answer ? Result<PiholeToml>(answer->toml) : Result<PiholeToml>(answer.error()), items,
                          "remote");
  }
  if (!shell_noise_.empty()) {
    p.problems.push_back("the remote user's shell prints on stdout around every command (\"" + shell_noise_ +
                         "\"): gravity-sync ignores it, but it is a sign of a startup file (~/.bashrc, "
                         "/etc/bash.bashrc, BASH_ENV) that prints when it should not; make it print only for "
                         "interactive shells");
  }
  return p;
}

Result<ItemFiles> RemoteNode::read_items(const std::vector<Item>& items) {
  std::vector<std::string> args;
  for (Item item : items) {
    args.insert(args.end(), {item_name(item), layout_.item_path(item), item == Item::gravity ? "db" : "text"});
  }
  auto r = run(remote_script::inspect, {{"dir", layout_.pihole_dir}, {"MAXTEXT", std::to_string(kMaxTextItem + 1)}},
               args);
  if (!r) return r.error();
  if (r->exit_code != 0) return failed(*r, "remote inspection failed");
  ItemFiles out;
  std::set<Item> values;                 // read from pihole.toml, which then follows
  std::set<Item> texts;                  // v5 text files whose content came
  std::map<Item, std::string> listings;  // gravity: the schema listing, version and freshness lines
  auto file = [&](Item item) -> ItemFile& { return out.files[item]; };
  auto set_error = [](ItemFile& f, ExitCode code, std::string message) {
    if (!f.error) f.error = Error{code, std::move(message)};
  };
  for (const auto& line : r->lines) {
    auto w = split_words(line);
    if (w.size() < 2) continue;
    if (w[0] == "T") {
      if (auto t = to_number<int64_t>(w[1])) {
        last_time_ = *t;
        clock_offset_ = last_time_ - static_cast<int64_t>(std::time(nullptr));
      }
      continue;
    }
    if (w[0] == "V") {
      major_ = w[1] == "6" ? 6 : 5;
      continue;
    }
    auto item = parse_item(w[1]);
    if (!item || std::find(items.begin(), items.end(), *item) == items.end()) continue;
    if (w[0] == "X") {
      values.insert(*item);
      continue;
    }
    ItemFile& f = file(*item);
    if (w[0] == "I" && w.size() >= 3) {
      if (w[2] != "1") continue;
      const auto size = w.size() == 6 ? to_number<uint64_t>(w[3]) : std::nullopt;
      const auto mtime = w.size() == 6 ? to_number<int64_t>(w[4]) : std::nullopt;
      const auto inode = w.size() == 6 ? to_number<uint64_t>(w[5]) : std::nullopt;
      f.info.exists = true;
      if (!size || !mtime || !inode) {
        set_error(f, ExitCode::failure, "remote " + layout_.item_path(*item) + ": unreadable stat answer");
        continue;
      }
      f.info.size = *size;
      f.info.mtime = *mtime;
      f.info.inode = *inode;
      sizes_[*item] = *size;
    } else if (w[0] == "H" && w.size() >= 3) {
      f.gravity.sha256 = w[2];
    } else if (w[0] == "C") {
      // A v5 text file's content.
      auto content = from_hex(w.size() >= 3 ? w[2] : "");
      if (!content) {
        set_error(f, ExitCode::failure, "remote " + std::string(item_name(*item)) + ": " + content.error().message);
      } else if (auto size = check_text_size(*item, content->size()); !size) {
        set_error(f, size.error().code, "remote " + size.error().message);
      } else {
        f.text = std::move(*content);
        texts.insert(*item);
      }
    } else if (w[0] == "S") {
      // "S item ~X ...": a line of the gravity state (gstate).
      listings[*item] += rest_after(line, 2) + "\n";
    } else if (w[0] == "E") {
      set_error(f, ExitCode::refused, "remote " + printable(rest_after(line, 2), 400));
    }
  }
  for (auto& [item, text] : listings) {
    // The schema is checked first: when it is not Pi-hole's, that is the reason to give.
    ItemFile& f = file(item);
    auto checked = check_gravity_listing("remote " + layout_.item_path(item), text);
    if (!checked) {
      f.error = checked.error();
      continue;
    }
    f.gravity.schema_version = checked->version;
    f.gravity.fresh = checked->fresh;
    schema_version_ = checked->version;
  }
  for (Item item : items) {
    if (values.count(item)) {
      out.files.erase(item);
      continue;
    }
    ItemFile& f = file(item);
    const bool digest = item == Item::gravity ? f.gravity.sha256.size() == 64 : texts.count(item) > 0;
    if (f.info.exists && !digest) {
      set_error(f, ExitCode::failure, std::string("remote ") + item_name(item) + ": no digest in the answer");
    }
  }
  if (!values.empty()) {
    auto answer = parse_toml_answer(*r);
    if (answer) {
      out.toml = answer->toml;
      out.toml_mtime = answer->mtime;
    } else {
      out.toml = answer.error();
    }
  }
  return out;
}

Result<std::map<Item, FileInfo>> RemoteNode::stat_items(const std::vector<Item>& items) {
  // SFTP first: no process on the remote, one round trip for every file on a channel that
  // stays open; each file once (on v6, every value item lives in pihole.toml).
  std::vector<std::string> paths;
  std::vector<size_t> slot;  // per item, its path's index in `paths`
  const int major = major_version();
  for (Item item : items) {
    const std::string path = layout_.watch_path(item, major);
    const auto seen = std::find(paths.begin(), paths.end(), path);
    slot.push_back(static_cast<size_t>(seen - paths.begin()));
    if (seen == paths.end()) paths.push_back(path);
  }
  auto stats = session_.sftp_stat(paths);
  if (stats) {
    std::map<Item, FileInfo> out;
    for (size_t i = 0; i < items.size(); ++i) {
      const auto& st = (*stats)[slot[i]];
      FileInfo info;
      info.exists = st.exists;
      info.size = st.size;
      info.mtime = st.mtime;
      out[items[i]] = info;
    }
    return out;
  }
  if (stats.error().code == ExitCode::unreachable) return stats.error();
  spdlog::debug("{}; using stat over exec", stats.error().message);
  std::vector<std::string> args;
  for (Item item : items) args.insert(args.end(), {item_name(item), layout_.watch_path(item, major)});
  auto r = run(remote_script::stat_files, {}, args, "", Millis(60'000));
  if (!r) return r.error();
  std::map<Item, FileInfo> out;
  for (const auto& line : r->lines) {
    auto w = split_words(line);
    if (w.size() < 2) continue;
    auto item = parse_item(w[0]);
    if (!item) continue;
    FileInfo info;
    if (w.size() == 3) {
      const auto size = to_number<uint64_t>(w[1]);
      const auto mtime = to_number<int64_t>(w[2]);
      if (!size || !mtime) return make_error(ExitCode::failure, "remote stat: unreadable answer");
      info.exists = true;
      info.size = *size;
      info.mtime = *mtime;
    }
    out[*item] = info;
  }
  if (out.size() != items.size()) return make_error(ExitCode::failure, "remote stat: incomplete answer");
  return out;
}

Result<int64_t> RemoteNode::now() {
  if (last_time_ == 0) {
    auto r = run(remote_script::clock, {});
    if (!r) return r.error();
    auto t = to_number<int64_t>(r->last("T ").value_or(""));
    if (!t) return make_error(ExitCode::failure, "remote clock: unreadable answer");
    last_time_ = *t;
  }
  return last_time_;
}

std::string RemoteNode::staging_dir(Item) const { return local_tmp_; }

std::string RemoteNode::lock_path() const {
  // In the parent of the remote backup_dir: with default layouts that is the state_dir of a
  // gravity-sync running there, so both tools take one lock.
  return dir_name(backups_.dir) + "/gravity-sync.lock";
}

Status RemoteNode::check_space(Item item, uint64_t bytes, Role role) {
  if (role == Role::sending) return {};  // a text item is read in place; stage() checks room for a snapshot
  if (item != Item::gravity && major_version() >= 6) return {};  // a value FTL writes; a few KB
  const std::string dir = dir_name(layout_.item_path(item));
  auto r = run(remote_script::check_space,
               {{"dir", dir}, {"bdir", backups_.dir}, {"need", std::to_string(bytes / 1024 + 1024)}});
  if (!r) return r.error();
  if (r->exit_code != 0) return failed(*r, "remote");
  return {};
}

Status RemoteNode::check_writable(const std::vector<Item>& items) {
  std::vector<std::string> args{"b", backups_.dir};
  for (Item item : items) {
    const std::string live = layout_.watch_path(item, major_version());
    args.insert(args.end(), {"b", backup_dir(backups_, item), "w", dir_name(live), "w", live});
  }
  auto r = run(remote_script::writable, {{"l", lock_path()}}, args, "", Millis(30'000));
  if (!r) return r.error();
  if (r->exit_code != 0) return failed(*r, "remote");
  return {};
}

Result<Staged> RemoteNode::stage_gravity(NewStaged fresh, const StageOptions& how) {
  const Item item = Item::gravity;
  const std::string live = layout_.item_path(item);
  Staged& staged = fresh.staged;
  if (how.gravity_tables) return stage_tables(std::move(fresh));

  // One exec: a consistent snapshot is made in a private directory beside the live file
  // (inside the bind mount for containers) and sent as the answer's payload while it is
  // hashed there too; hashed here while it arrives.
  Sha256 sha;
  Progress progress(std::string("pull ") + item_name(item), sizes_[item]);
  const int fd = fresh.fd.get();
  // What a peer sends is cut at what it announced (with room for the database to have
  // grown since): memory and disk never grow with a peer's say.
  const uint64_t announced = sizes_[item];
  const uint64_t limit = announced + std::max<uint64_t>(announced, 64ULL << 20);
  uint64_t received = 0;
  auto r = run(remote_script::snapshot,
               {{"live", live},
                {"dir", dir_name(live)},
                {"work", new_work_dir(item)},
                {"need", std::to_string(announced / 1024 + 1024)}},
               {},
               "", Millis(3'600'000), [&](const char* data, size_t size) -> Status {
                 if (received + size > limit) {
                   return make_error(ExitCode::refused, "remote " + live + " sent more than " + std::to_string(limit) +
                                                            " bytes (it announced " + std::to_string(announced) +
                                                            "); not accepted");
                 }
                 sha.update(data, size);
                 received += size;
                 progress.update(received);
                 return write_all(fd, data, size);
               });
  if (!r) return with_context(r.error(), "receiving " + live);
  if (r->exit_code != 0) return failed(*r, "cannot read remote " + live);
  // No fsync here: install() fsyncs the copy before it renames it into place.
  bytes_ += received;
  staged.size = received;
  staged.sha256 = sha.hex_digest();
  const std::string sent = r->last("SHA ").value_or("");
  if (sent != staged.sha256) {
    return make_error(ExitCode::refused, "checksum mismatch: the remote sent " +
                                             (sent.empty() ? std::string("no checksum") : printable(sent, 64)) +
                                             ", received " + staged.sha256);
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
  auto r = run(remote_script::dump_tables,
               {{"live", live}, {"work", new_work_dir(Item::gravity)}, {"DUMP", table_dump_sql(*schema)}}, {},
               "", Millis(3'600'000), [&](const char* data, size_t size) -> Status {
                 if (dump.size() + size > kMaxDump) {
                   return make_error(ExitCode::refused, "the remote's configuration tables are larger than 256 MiB");
                 }
                 dump.append(data, size);
                 return {};
               });
  if (!r) return with_context(r.error(), "receiving the configuration tables of remote " + live);
  if (r->exit_code != 0) return failed(*r, "cannot read the configuration tables of remote " + live);
  bytes_ += dump.size();
  Staged& staged = fresh.staged;
  fresh.fd.close();
  if (auto st = tables_from_dump(*schema, dump, staged.path); !st) return with_context(st.error(), "remote tables");
  auto digest = tables_file_digest(staged.path);
  if (!digest) return digest.error();
  staged.size = dump.size();  // what travelled
  staged.digest = digest->sha256;
  staged.tables = true;  // made here from the data: no checksum of a file to compare
  return std::move(fresh.staged);
}

Result<NodeCopy> RemoteNode::receive_copy(const Staged& staged) {
  auto work = upload(staged);
  if (!work) return work.error();
  NodeCopy copy;
  copy.item = staged.item;
  copy.place = *work;
  copy.name = "up";
  copy.sha256 = staged.sha256;
  copy.size = staged.size;
  return copy;
}

Result<std::string> RemoteNode::upload(const Staged& staged) {
  auto opened = open_regular(staged.path, Follow::no);
  if (!opened) return opened.error();
  Fd in = std::move(*opened);
  uint64_t sent = 0;
  Progress progress(std::string("push ") + item_name(staged.item), staged.size);
  const std::string work = new_work_dir(staged.item);
  auto up = run(remote_script::upload, {{"work", work}}, {}, "", Millis(3'600'000), nullptr, [&](char* buffer, size_t capacity) -> Result<size_t> {
                  ssize_t n = ::read(in.get(), buffer, capacity);
                  if (n < 0) return make_error(ExitCode::failure, "cannot read " + staged.path);
                  sent += static_cast<uint64_t>(n);
                  progress.update(sent);
                  return static_cast<size_t>(n);
                });
  if (!up) return with_context(up.error(), std::string("sending ") + item_name(staged.item));
  if (up->exit_code != 0 || !up->last("OK")) return failed(*up, "cannot send " + std::string(item_name(staged.item)));
  bytes_ += staged.size;
  return work;
}

void RemoteNode::discard(const std::string& work) {
  auto r = run(remote_script::discard, {{"work", work}}, {}, "", Millis(30'000));
  if (!r || r->exit_code != 0) spdlog::debug("remote: could not remove {}; the next run does", work);
}

Result<TablesCopy> RemoteNode::apply_received_tables(const NodeCopy& tables, const std::string& digest,
                                                     const ItemState& current) {
  // The tables file was made and checked here (its schema, its digest); there it is checked
  // as received, applied to a snapshot of the live database in the private directory in
  // one transaction with fixed SQL for that schema, and the result must have the sender's
  // digest.
  const PiholeSchema* schema = pihole_schema(current.schema_version);
  if (!schema) {
    discard_copy(tables);
    return make_error(ExitCode::refused, "remote gravity.db: unknown schema version");
  }
  auto r = run(remote_script::apply_tables, {{"work", tables.place},
                                             {"live", layout_.item_path(Item::gravity)},
                                             {"sha", tables.sha256},
                                             {"dg", digest},
                                             {"D", digest_sql(*schema)},
                                             {"APPLY", tables_apply_sql(*schema)},
                                             {"KEY", adlists_key_sql()}});
  if (!r) return r.error();
  if (r->exit_code != 0) return failed(*r, "remote gravity");
  auto changed = r->last("CHANGED ");
  if (!changed) {
    discard_copy(tables);
    return make_error(ExitCode::failure, "remote tables: unexpected answer");
  }
  TablesCopy out;
  out.adlists_changed = *changed == "1";
  out.copy.item = Item::gravity;
  out.copy.place = tables.place;
  out.copy.name = "new";  // made there from its own database: no checksum to compare
  return out;
}

std::future<Status> RemoteNode::verify_copy(const NodeCopy& copy, int want) {
  std::promise<Status> verdict;
  auto r = run(remote_script::verify, {{"work", copy.place},
                                       {"f", copy.name},
                                       {"sha", copy.sha256},
                                       {"kind", copy.item == Item::gravity ? "db" : "text"},
                                       {"want", std::to_string(want)}});
  if (!r)
    verdict.set_value(r.error());
  else if (r->exit_code != 0 || !r->last("OK"))
    verdict.set_value(failed(*r, "remote " + std::string(item_name(copy.item))));
  else
    verdict.set_value(Status{});
  return verdict.get_future();
}

Result<bool> RemoteNode::rebuilding() {
  auto r = run(remote_script::stat_files, {}, {"gravity", layout_.item_path(Item::gravity) + "_temp"}, "",
               Millis(60'000));
  if (!r) return r.error();
  for (const auto& line : r->lines) {
    auto w = split_words(line);
    if (!w.empty() && w[0] == "gravity") return w.size() == 3;
  }
  return make_error(ExitCode::failure, "remote stat: unreadable answer");
}

Result<std::optional<BackupEntry>> RemoteNode::keep_file_backup(const NodeCopy& copy) {
  const std::string stamp = backup_stamp();
  auto r = run(remote_script::keep_file, {{"work", copy.place},
                                          {"live", layout_.item_path(copy.item)},
                                          {"kind", copy.item == Item::gravity ? "db" : "text"},
                                          {"broot", backups_.dir},
                                          {"bdir", backup_dir(backups_, copy.item)},
                                          {"bname", backup_file_name(copy.item, stamp)},
                                          {"max", std::to_string(kMaxTextItem + 1)}});
  if (!r) return r.error();
  if (r->exit_code != 0) return failed(*r, "remote " + std::string(item_name(copy.item)));
  if (!r->last("BACKUP")) return std::optional<BackupEntry>();
  return std::optional<BackupEntry>(backup_at(Side::remote, backups_, copy.item, stamp, 0));
}

Status RemoteNode::swap_copy(NodeCopy& copy, bool& moved) {
  const Item item = copy.item;
  auto r = run(remote_script::swap, {{"work", copy.place},
                                     {"f", copy.name},
                                     {"live", layout_.item_path(item)},
                                     {"kind", item == Item::gravity ? "db" : "text"},
                                     {"mode", item == Item::gravity ? "664" : "644"},
                                     {"jms", std::to_string(waits_.journal.count())},
                                     {"expect", copy.expect}});
  if (!r) {
    // Cut short (interrupted, the connection lost) without its answer: the rename may have
    // happened there. Keep the backup and the private directory (the next run's
    // clean_stale removes it).
    moved = true;
    Error e = with_context(r.error(), "the swap of the remote " + std::string(item_name(item)) +
                                          " was cut short; it may have gone in (its backup is kept)");
    e.kind = ErrorKind::maybe_changed;
    return e;
  }
  moved = r->last("MOVED").has_value();
  if (r->last("OLD")) replaced_.push_back(copy.place);  // kept, the replaced file linked in it
  if (r->last("CHANGED")) return changed_meanwhile(layout_.item_path(item));
  if (r->exit_code != 0) return failed(*r, "remote " + std::string(item_name(item)));
  if (!r->last("DONE")) {
    return make_error(ExitCode::failure, "remote install of " + std::string(item_name(item)) + " did not confirm");
  }
  return {};
}

void RemoteNode::discard_copy(const NodeCopy& copy) { discard(copy.place); }

Result<BackupEntry> RemoteNode::keep_value_backup(Item item, const std::string& file) {
  // The file travels on stdin.
  const std::string stamp = backup_stamp();
  auto kept = run(remote_script::keep_value,
                  {{"broot", backups_.dir}, {"bdir", backup_dir(backups_, item)}, {"bname", backup_file_name(item, stamp)}},
                  {}, file);
  if (!kept) return kept.error();
  if (kept->exit_code != 0 || !kept->last("BACKUP")) return failed(*kept, "remote " + std::string(item_name(item)));
  return backup_at(Side::remote, backups_, item, stamp, file.size());
}

Result<FtlSet> RemoteNode::ftl_config_set(const std::string& key, const std::string& json) {
  auto all = ftl_config_set_all({{key, json}});
  if (!all) return all.error();
  return all->front();
}

Result<std::vector<FtlSet>> RemoteNode::ftl_config_set_all(const std::vector<std::pair<std::string, std::string>>& values) {
  // One exec for all: the keys as arguments, the values on stdin, one a line (a command
  // line has a size limit of its own, and a round trip per value would outlast FTL's
  // shutdown for a restart: ~200 ms each over SSH, measured by an attack).
  std::vector<std::string> keys;
  std::string input;
  for (const auto& [key, value] : values) {
    if (value.find('\n') != std::string::npos) {
      return make_error(ExitCode::refused, "the value of " + key + " holds a newline; nothing was set");
    }
    keys.push_back(key);
    input += value + "\n";
  }
  auto r = run(remote_script::ftl_set, {}, keys, input);
  if (!r) return r.error();
  if (r->exit_code != 0) return failed(*r, "remote pihole-FTL --config");
  // "FTL RC HEX" per key, in order: pihole-FTL's exit code and what it printed.
  const auto answers = r->all("FTL ");
  if (answers.size() != values.size()) {
    return make_error(ExitCode::failure, "remote pihole-FTL --config: " + std::to_string(answers.size()) + " answers for " +
                                             std::to_string(values.size()) + " values");
  }
  std::vector<FtlSet> out;
  for (size_t i = 0; i < answers.size(); ++i) {
    const auto w = split_words(answers[i]);
    const auto rc = !w.empty() ? to_number<int>(w[0]) : std::nullopt;
    if (!rc) return make_error(ExitCode::failure, "remote " + values[i].first + ": pihole-FTL did not answer");
    auto printed = w.size() >= 2 && w[1] != "-" ? from_hex(w[1]) : Result<std::string>(std::string());
    out.push_back(FtlSet{*rc, printed ? *printed : ""});
  }
  return out;
}

Result<FtlIdentity> RemoteNode::ftl_identity() {
  const int major = major_version();
  auto r = run(remote_script::ftl_info, {{"v6", major >= 6 ? "1" : "0"}});
  if (!r) return r.error();
  if (r->exit_code != 0) return failed(*r, "remote pihole-FTL");
  FtlIdentity id;
  if (major >= 6) {
    if (auto toml = parse_toml_answer(*r); toml) id.toml = toml->text;
    id.sigrtmin = r->last("R ").value_or("");
  } else if (auto conf = from_hex(r->last("C ").value_or("")); conf) {
    id.conf = *conf;
  }
  return id;
}

Result<std::string> RemoteNode::run_ftl(const std::vector<std::string>& args, Millis timeout) {
  auto r = run(remote_script::ftl_status, {}, args, "", timeout);
  if (!r) return r.error();
  return joined(*r);
}

void RemoteNode::release_replaced(Millis wait) {
  if (replaced_.empty()) return;
  // Each path is ours: the private directory install kept, the replaced file linked in it.
  auto r = run(remote_script::release, {{"tenths", std::to_string(std::max<long>(1, static_cast<long>(wait.count() / 100)))}},
               replaced_, "", wait * static_cast<long>(replaced_.size()) + Millis(30'000));
  if (r.ok() && r->last("KEPT")) spdlog::debug("remote: a replaced gravity.db is still open; the next run removes it");
  replaced_.clear();
}

Result<std::vector<std::string>> RemoteNode::missing_commands(const std::vector<std::string>& commands) {
  auto r = run(remote_script::commands, {}, commands, "", Millis(30'000));
  if (!r) return r.error();
  if (r->exit_code != 0) return failed(*r, "remote");
  std::vector<std::string> missing;
  for (const auto& line : r->all("M ")) {
    // Only names we asked about count (the answer is the remote's).
    if (std::find(commands.begin(), commands.end(), line) != commands.end()) missing.push_back(line);
  }
  return missing;
}

Status RemoteNode::run_pihole(const std::vector<std::string>& args, Millis timeout, const char* what) {
  const std::string shown = join_args(layout_.pihole_argv(args));
  spdlog::info("remote: {}: {}", what, shown);
  // Its exit status, and the last lines it printed for a message.
  auto s = run(remote_script::pihole, {}, args, "", timeout);
  if (!s) return s.error();
  if (s->exit_code != 0) {
    const auto said = s->all("P ");
    return make_error(ExitCode::failure, "remote `" + shown + "` failed (exit " + std::to_string(s->exit_code) + ")" +
                                             (said.empty() ? "" : ": " + printable(said.back(), 400)));
  }
  return {};
}

Result<std::unique_ptr<NodeLock>> RemoteNode::lock(Millis wait) {
  const std::string lock_path = this->lock_path();
  const long secs = std::max<long>(1, static_cast<long>(wait.count() / 1000));
  const std::string nonce = new_nonce();
  const std::string mark = "=GS " + nonce + " ";
  // Not framed like the other verbs, and without the library: one line, the moment the
  // answer is known, and the channel stays open while the lock is held.
  const std::string script = "N=" + nonce + "\nl=" + shell_quote(lock_path) + "\nsecs=" + std::to_string(secs) +
                             "\n" + std::string(remote_script::lock);
  if (auto st = ready(); !st) return st.error();
  auto channel = session_.open(shell(script));
  if (!channel) return channel.error();
  // Lines before ours are what the remote shell printed (a greeting): skipped.
  std::string answer;
  for (int i = 0; i < 200 && answer.empty(); ++i) {
    auto line = channel->read_line(wait + Millis(15'000));
    if (!line) return with_context(line.error(), "cannot lock the remote node");
    if (line->rfind(mark, 0) == 0) answer = line->substr(mark.size());
  }
  if (answer == "BUSY") {
    return make_error(ExitCode::locked, "another gravity-sync run holds the remote lock " + lock_path + " (waited " +
                                            format_duration(wait) + ")");
  }
  if (answer == "LINK") return make_error(ExitCode::refused, "the remote lock " + lock_path + " is a symbolic link");
  if (answer == "NOTFILE") {
    return make_error(ExitCode::refused, "the remote lock " + lock_path + " is not a regular file");
  }
  if (answer == "NOFLOCK") return make_error(ExitCode::failure, "cannot lock the remote node: flock is not installed there");
  if (answer != "LOCKED") return make_error(ExitCode::failure, "cannot lock the remote node: no answer");
  return std::unique_ptr<NodeLock>(std::make_unique<RemoteLock>(std::move(*channel)));
}

void RemoteNode::clean_stale() {
  auto r = run(remote_script::clean_stale, {}, {layout_.pihole_dir, layout_.dnsmasq_dir, backups_.dir}, "",
               Millis(5'000));
  const auto n = r.ok() ? to_number<int>(r->last("N ").value_or("")) : std::nullopt;
  if (n && *n > 0) spdlog::info("remote: removed {} temp file(s) left by an interrupted run", *n);
}

void RemoteNode::remove_backups(const std::vector<BackupEntry>& entries) {
  std::vector<std::string> paths;
  // Each path is ours (backup_entry builds it from the stamp), never one the remote listed.
  for (const auto& old : entries) paths.push_back(old.path);
  if (paths.empty()) return;
  auto r = run(remote_script::prune, {}, paths);
  if (!r || r->exit_code != 0) spdlog::debug("remote: removing old backups failed");
}

Result<std::vector<BackupEntry>> RemoteNode::backups() {
  auto r = run(remote_script::backups, {}, {backups_.dir});
  if (!r) return r.error();
  std::vector<BackupEntry> out;
  for (const auto& line : r->all("B ")) {
    // "SIZE ITEM/FILE": only names of a backup's form are backups.
    const auto w = split_words(line);
    if (w.size() != 2) continue;
    const auto size = to_number<uint64_t>(w[0]);
    const auto slash = w[1].find('/');
    if (!size || slash == std::string::npos) continue;
    auto entry = backup_entry(Side::remote, backups_, std::string_view(w[1]).substr(0, slash),
                              std::string_view(w[1]).substr(slash + 1), *size);
    if (entry) out.push_back(*entry);
  }
  sort_backups(out);
  return out;
}

Result<NodeCopy> RemoteNode::backup_copy(const BackupEntry& entry) {
  // entry.path is ours (backup_entry builds it), checked to be a regular file there.
  const std::string work = new_work_dir(entry.item);
  auto r = run(remote_script::restore_copy, {{"src", entry.path},
                                             {"work", work},
                                             {"text", entry.item == Item::gravity ? "0" : "1"},
                                             {"max", std::to_string(kMaxTextItem + 1)}});
  if (!r) return r.error();
  if (r->exit_code != 0) return failed(*r, "remote restore");
  NodeCopy copy;
  copy.item = entry.item;
  copy.place = work;
  copy.name = "up";
  copy.size = entry.size;
  const auto sha = r->last("SHA ");
  Result<std::string> text = std::string();
  if (entry.item != Item::gravity) text = from_hex(r->last("C ").value_or(""));
  if (!sha || !text) {
    discard_copy(copy);
    return make_error(ExitCode::failure, "remote restore: unexpected answer");
  }
  copy.sha256 = *sha;
  copy.text = std::move(*text);
  return copy;
}

}  // namespace gs
