#include "gravity_sync/cli/context.hpp"

namespace gs::cli {

Peers::Peers(SshSession s, const Config& config)
    : session(std::move(s)),
      local(config.local, BackupPolicy{config.backup_dir, config.backup_keep}, config.state_dir),
      remote(session, config.remote.layout, BackupPolicy{config.remote.backup_dir, config.backup_keep},
             config.state_dir + "/tmp") {}

Result<std::unique_ptr<Peers>> connect_peers(const Config& config) {
  auto session = SshSession::connect(ssh_options(config));
  if (!session) return session.error();
  return std::make_unique<Peers>(std::move(*session), config);
}

std::string remote_key(const Config& config) { return config.remote.host + ":" + std::to_string(config.remote.port); }

}  // namespace gs::cli
