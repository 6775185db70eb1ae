#pragma once

#include <map>

#include "gravity_sync/node/local_node.hpp"
#include "gravity_sync/node/node.hpp"
#include "gravity_sync/pihole/layout.hpp"
#include "gravity_sync/ssh/session.hpp"

namespace gs {

// The Pi-hole at the other end of an SSH session. Every operation is one small POSIX
// `sh` script run over an exec channel, with every value shell-quoted; files travel
// through `cat` streams and are hashed on both ends.
class RemoteNode : public Node {
 public:
  // `session` must outlive this node. `local_tmp` is where pushes are staged here.
  RemoteNode(SshSession& session, PiholeLayout layout, BackupPolicy backups, std::string local_tmp);

  const char* name() const override { return "remote"; }
  Result<NodeProbe> probe() override;
  Result<NodeState> inspect(const std::vector<Item>& items) override;
  Result<std::map<Item, FileInfo>> stat_items(const std::vector<Item>& items) override;
  Result<int64_t> now() override;
  Result<Staged> stage(Item item, const std::string& local_dir) override;
  Status check_space(Item item, uint64_t bytes, bool receiving) override;
  std::string staging_dir(Item item) const override;
  Result<Installed> install(const Staged& staged, const ItemState& current) override;
  Status reload(Reload level) override;
  int major_version() override;
  Result<std::unique_ptr<NodeLock>> lock(Millis wait) override;
  void clean_stale() override;
  Result<std::vector<BackupEntry>> backups() override;
  Result<Installed> restore(const BackupEntry& entry, const ItemState& current) override;

  // The remote clock minus ours, in seconds, as of the last inspect (0 before one).
  int64_t clock_offset() const { return clock_offset_; }

  // Bytes received from / sent to the remote for file payloads so far.
  uint64_t bytes_moved() const { return bytes_; }

 private:
  // Run `body` with `vars` defined as shell variables and the common functions.
  Result<ExecResult> run(const std::map<std::string, std::string>& vars, const std::string& body,
                         const std::string& input = "", Millis timeout = Millis(600'000));
  // The install steps after a verified copy sits at the remote temp path `tmp`.
  Result<Installed> install_remote_temp(Item item, const std::string& tmp, const std::string& sha,
                                        const ItemState& current);
  std::string prelude() const;

  SshSession& session_;
  PiholeLayout layout_;
  BackupPolicy backups_;
  std::string local_tmp_;
  int major_ = 0;
  int64_t last_time_ = 0;
  int64_t clock_offset_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace gs
