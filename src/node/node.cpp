#include "gravity_sync/node/node.hpp"

#include <string_view>
#include <unistd.h>

#include "gravity_sync/util/sha256.hpp"

namespace gs {

Result<NewStaged> new_staged(Item item, const std::string& dir) {
  if (auto st = ensure_private_dir(dir); !st) return st.error();
  auto tmp = create_temp_file(dir, kTempPrefix, backup_suffix(item));
  if (!tmp) return tmp.error();
  NewStaged out;
  out.staged.item = item;
  out.staged.path = tmp->path;
  out.staged.cleanup = std::make_unique<RemoveOnExit>(tmp->path);
  out.fd = std::move(tmp->fd);
  return out;
}

ItemState value_state(Item item, const Result<PiholeToml>& toml, std::optional<int64_t> mtime, const char* where) {
  ItemState s;
  auto records = toml ? with_context(records_from_toml(*toml, item), where) : Result<Records>(toml.error());
  if (records) {
    // A v6 array always exists (absent is FTL's default, empty); a settings key that
    // pihole.toml does not hold is missing there.
    s.exists = !item.is_setting() || !records->empty();
    if (toml->set_by_env(ftl_key(item))) s.set_by_env = ftl_env_var(item);
    if (item.is_setting()) s.at_default = toml->at_default(ftl_key(item));
    s.sha256 = s.canonical = records_digest(item, *records);
    s.records = records->size();
    s.changed_at = mtime;
  } else {
    s.error = records.error().message;
    s.error_code = records.error().code;
  }
  return s;
}

void add_unreadable_values(NodeProbe& probe, const Result<PiholeToml>& toml, const std::vector<Item>& items,
                           const char* where) {
  for (Item item : items) {
    if (item == Item::gravity) continue;
    const ItemState s = value_state(item, toml, std::nullopt, where);
    if (!s.error.empty()) probe.problems.push_back(std::string(ftl_key(item)) + " cannot be read: " + s.error);
  }
}

std::string missing_dir(const char* side, const char* key, const std::string& dir) {
  const bool pihole = std::string_view(key) == "pihole_dir";
  return std::string(side) + "." + key + " " + dir + " does not exist: set " + side + "." + key + " to the directory " +
         (pihole ? "that holds Pi-hole's gravity.db" : "of Pi-hole's dnsmasq files") + " there" +
         " (for Pi-hole in a container: the host path of its bind mount of " +
         (pihole ? "/etc/pihole" : "/etc/dnsmasq.d") + ")";
}

std::string missing_gravity(const char* side, const std::string& db) {
  return db + " does not exist: Pi-hole is not installed there, or " + side +
         ".pihole_dir names another directory";
}

std::string missing_command(const char* side, const char* key, const std::string& command) {
  return std::string(side) + "." + key + " " + command + " not found: set " + side + "." + key +
         " to its full path there";
}

std::string no_ftl_in_container(const char* side, const PiholeLayout& layout) {
  return "cannot run pihole-FTL in container " + layout.container + " (is it running, and is " +
         layout.container_prefix().front() + " on the PATH there? " + side +
         ".container names the container as `docker:NAME` or `podman:NAME`)";
}

Result<Staged> staged_records(NewStaged fresh, const Records& records) {
  Staged& staged = fresh.staged;
  const std::string content = file_from_records(staged.item, records);
  if (auto st = write_all(fresh.fd.get(), content.data(), content.size()); !st) return st.error();
  if (::fsync(fresh.fd.get()) != 0) return make_error(ExitCode::failure, "cannot fsync " + staged.path);
  staged.size = content.size();
  staged.sha256 = sha256_hex(content);
  staged.digest = records_digest(staged.item, records);
  staged.form = TextForm::records;
  return std::move(staged);
}

}  // namespace gs
