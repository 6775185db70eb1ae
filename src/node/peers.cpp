#include "gravity_sync/node/peers.hpp"

namespace gs {

Peers::Peers(SshSession s, const Config& config)
    : session(std::move(s)),
      local(config.local, BackupPolicy{config.backup_dir, config.backup_keep}, config.state_dir),
      remote(session, config.remote.layout, BackupPolicy{config.remote.backup_dir, config.backup_keep},
             config.state_dir + "/tmp", RemoteAccess{config.remote.user, config.remote.sudo}) {}

SshOptions ssh_options(const Config& config) {
  SshOptions o;
  o.host = config.remote.host;
  o.port = config.remote.port;
  o.user = config.remote.user;
  o.identity_file = config.remote.identity_file;
  o.known_hosts = config.remote.known_hosts;
  o.connect_timeout = config.remote.connect_timeout;
  o.compression = config.remote.compression;
  return o;
}

Result<std::unique_ptr<Peers>> connect_peers(const Config& config) {
  auto session = SshSession::connect(ssh_options(config));
  if (!session) return session.error();
  return std::make_unique<Peers>(std::move(*session), config);
}

std::string remote_key(const Config& config) { return config.remote.host + ":" + std::to_string(config.remote.port); }

}  // namespace gs
