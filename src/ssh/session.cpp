#include "gravity_sync/ssh/session.hpp"

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include <libssh/server.h>  // ssh_send_keepalive is declared there, but works for clients

#include "gravity_sync/ssh/known_hosts.hpp"
#include "gravity_sync/ssh/sftp_wire.hpp"
#include "gravity_sync/util/cancel.hpp"
#include "gravity_sync/util/files.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

namespace {

using Clock = std::chrono::steady_clock;

Error ssh_error(ExitCode code, const std::string& what, ssh_session s) {
  return make_error(code, what + ": " + ssh_get_error(s));
}

struct KeyDeleter {
  void operator()(ssh_key k) const { ssh_key_free(k); }
};
using Key = std::unique_ptr<ssh_key_struct, KeyDeleter>;

// Replace what known_hosts holds for the host with the key the server offers, when the
// admin confirms it (o.confirm_changed_host_key, shown the old keys and the new one).
// Nothing when there is no such callback or it says no. A wildcard line that trusts the
// old key cannot be rewritten for one host: that is refused before anything is asked.
std::optional<Status> replace_host_key(ssh_session s, const SshOptions& o, const std::string& text,
                                       const HostKeyCheck& check, const std::string& type,
                                       const std::string& fingerprint) {
  if (!o.confirm_changed_host_key) return std::nullopt;
  if (!check.wildcard_lines.empty()) {
    std::string lines;
    for (size_t n : check.wildcard_lines) lines += (lines.empty() ? "" : ", ") + std::to_string(n);
    return Status(make_error(ExitCode::host_key, o.known_hosts + " trusts another key for " +
                                                     known_hosts_name(o.host, o.port) +
                                                     " through a wildcard pattern (line " + lines +
                                                     "), which init cannot rewrite for one host; edit those lines "
                                                     "by hand, then run init again"));
  }
  if (!o.confirm_changed_host_key(type, fingerprint, known_keys(text, o.host, o.port))) return std::nullopt;
  auto info = stat_file(o.known_hosts, Follow::no);
  const mode_t mode = info.ok() && info->exists ? (info->mode & 0644) : 0644;
  if (auto st = write_file_atomic(o.known_hosts, without_host(text, o.host, o.port), mode); !st) return st;
  if (ssh_session_update_known_hosts(s) != SSH_OK) {
    return Status(ssh_error(ExitCode::failure, "cannot write the host key to " + o.known_hosts, s));
  }
  return Status{};
}

// The server's key judged against known_hosts, the only trust source, the way OpenSSH
// judges it (ssh/known_hosts: names, hashes, wildcards, `@revoked`, CRLF lines) — read
// here rather than by libssh, whose parser skips markers and CRLF lines.
Status verify_host_key(ssh_session s, const SshOptions& o, std::string& fingerprint) {
  ssh_key raw = nullptr;
  if (ssh_get_server_publickey(s, &raw) != SSH_OK) return ssh_error(ExitCode::host_key, "cannot read host key", s);
  Key key(raw);
  fingerprint = key_fingerprint(key.get());
  const std::string type = ssh_key_type_to_char(ssh_key_type(key.get()));
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key.get(), &b64) != SSH_OK) {
    return make_error(ExitCode::host_key, "cannot read the host key the server offered");
  }
  const std::string key_base64 = b64;
  ssh_string_free_char(b64);
  std::string text;
  auto info = stat_file(o.known_hosts, Follow::no);
  if (!info) return with_context(info.error(), "known_hosts");
  if (info->exists) {
    auto read = read_file(o.known_hosts, 1 << 20, Follow::no);
    if (!read) return make_error(ExitCode::host_key, "cannot read " + o.known_hosts + ": " + read.error().message);
    text = std::move(*read);
  }
  const std::string where = "[" + o.host + "]:" + std::to_string(o.port);
  const HostKeyCheck check = check_host_key(text, o.host, o.port, type, key_base64);
  switch (check.verdict) {
    case HostKeyVerdict::known: return {};
    case HostKeyVerdict::revoked:
      return make_error(ExitCode::host_key, "the host key of " + where + " (" + type + " " + fingerprint +
                                                ") is REVOKED in " + o.known_hosts +
                                                " (an @revoked line); it is never trusted. Refusing to connect.");
    case HostKeyVerdict::changed:
      if (auto replaced = replace_host_key(s, o, text, check, type, fingerprint)) return *replaced;
      return make_error(ExitCode::host_key, "the host key of " + where + " has CHANGED (now " + type + " " +
                                                fingerprint + "); if that is expected, remove the old entry from " +
                                                o.known_hosts + " and pin the new key. Refusing to connect.");
    case HostKeyVerdict::other_type:
      if (auto replaced = replace_host_key(s, o, text, check, type, fingerprint)) return *replaced;
      return make_error(ExitCode::host_key, o.known_hosts + " knows only a key of another type for " + where +
                                                "; the server offered " + type + " " + fingerprint +
                                                ". Refusing to connect.");
    case HostKeyVerdict::unknown:
      if (o.confirm_new_host_key && o.confirm_new_host_key(type, fingerprint)) {
        if (ssh_session_update_known_hosts(s) != SSH_OK) {
          return ssh_error(ExitCode::failure, "cannot write the host key to " + o.known_hosts, s);
        }
        return {};
      }
      return make_error(ExitCode::host_key, "the host key of " + where + " (" + type + " " + fingerprint +
                                                ") is not in " + o.known_hosts +
                                                "; pin it (for example with `gravity-sync init`). Refusing to connect.");
  }
  return make_error(ExitCode::host_key, "cannot check the host key against " + o.known_hosts);
}

Status authenticate(ssh_session s, const SshOptions& o) {
  std::string tried;
  // A key this user may not read (root's, 0600, run as another user): installing it
  // anywhere would not help; running as its owner would.
  if (!o.identity_file.empty()) {
    const char* key = o.identity_file.c_str();
    const bool denied = ::faccessat(AT_FDCWD, key, F_OK, AT_EACCESS) == 0
                            ? ::faccessat(AT_FDCWD, key, R_OK, AT_EACCESS) != 0
                            : errno == EACCES;  // a directory on the way this user may not enter
    if (denied) {
      const passwd* pw = ::getpwuid(::geteuid());
      return make_error(ExitCode::unreachable, "cannot read the private key " + o.identity_file + " as user " +
                                                   (pw ? pw->pw_name : std::to_string(::geteuid())) +
                                                   ": run gravity-sync as root (for example with sudo), as its "
                                                   "service does");
    }
  }
  // A key someone else owns or may read or replace is no key of this node's: whoever can
  // touch it logs in to the other node as remote.user (stricter than ssh(1), which only
  // refuses a key of its own user that others may read).
  if (!o.identity_file.empty()) {
    auto info = stat_file(o.identity_file);
    if (info.ok() && info->exists && ((info->uid != ::geteuid() && info->uid != 0) || (info->mode & 077) != 0)) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info->mode & 07777));
      return make_error(ExitCode::unreachable, "the private key " + o.identity_file + " (owner uid " +
                                                   std::to_string(info->uid) + ", mode " + mode +
                                                   ") is not this node's alone: whoever may read or replace it logs "
                                                   "in to the other node. Make it root's and private (chown root " +
                                                   shell_word(o.identity_file) + "; chmod 600 " +
                                                   shell_word(o.identity_file) + "), or let init make a new one");
    }
  }
  if (!o.identity_file.empty() && stat_file(o.identity_file).ok() && stat_file(o.identity_file)->exists) {
    ssh_key raw = nullptr;
    if (ssh_pki_import_privkey_file(o.identity_file.c_str(), nullptr, nullptr, nullptr, &raw) == SSH_OK) {
      Key key(raw);
      int rc = ssh_userauth_publickey(s, nullptr, key.get());
      if (rc == SSH_AUTH_SUCCESS) return {};
      if (rc == SSH_AUTH_ERROR) {
        return make_error(ExitCode::unreachable, std::string("authentication failed: ") + ssh_get_error(s),
                          ErrorKind::authentication);
      }
      tried = "key " + o.identity_file + " was refused";
    } else {
      tried = "cannot read private key " + o.identity_file + " (missing, unreadable, or protected by a passphrase)";
    }
  } else {
    tried = "identity file " + o.identity_file + " does not exist";
  }
  // The agent only when one answers: SSH_AUTH_SOCK naming a socket that is there.
  const char* agent = std::getenv("SSH_AUTH_SOCK");
  struct stat socket {};
  if (agent != nullptr && ::stat(agent, &socket) == 0 && S_ISSOCK(socket.st_mode)) {
    int rc = ssh_userauth_agent(s, nullptr);
    if (rc == SSH_AUTH_SUCCESS) return {};
    if (rc == SSH_AUTH_DENIED) tried += "; the keys of the ssh-agent at " + std::string(agent) + " were refused too";
  }
  return make_error(ExitCode::unreachable,
                    "authentication as " + o.user + "@" + o.host + " failed: " + tried + ". " + key_install_advice(o),
                    ErrorKind::authentication);
}

}  // namespace

std::string key_install_advice(const SshOptions& o) {
  auto exists = [](const std::string& path) {
    auto info = stat_file(path);
    return info.ok() && info->exists;
  };
  const std::string key = o.identity_file;
  const std::string copy = "ssh-copy-id -i " + shell_word(key + ".pub") + " -p " + std::to_string(o.port) + " " +
                           o.user + "@" + o.host;
  if (!exists(key)) {
    return "There is no key at " + key + ": `gravity-sync init` creates one (or set remote.identity_file to an " +
           "existing key), then install its public key there (" + copy + ").";
  }
  if (!exists(key + ".pub")) {
    return "Its public key " + key + ".pub is missing: write it with `ssh-keygen -y -f " + shell_word(key) + " > " +
           shell_word(key + ".pub") + "`, then install it there (" + copy + ").";
  }
  return "Install its public key " + key + ".pub in " + o.user + "'s authorized_keys there: `gravity-sync init` " +
         "prints the commands for a stock Pi-hole (or " + copy + ", where that user may log in with a password).";
}

Status generate_ed25519_key(const std::string& path, const std::string& comment) {
  ssh_key raw = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &raw) != SSH_OK) return make_error(ExitCode::failure, "cannot generate a key");
  Key key(raw);
  // The private key must never be readable by others, not even for a moment.
  const mode_t old_mask = ::umask(077);
  const int rc = ssh_pki_export_privkey_file(key.get(), nullptr, nullptr, nullptr, path.c_str());
  ::umask(old_mask);
  if (rc != SSH_OK) return make_error(ExitCode::failure, "cannot write the key " + path);
  ::chmod(path.c_str(), 0600);
  char* b64 = nullptr;
  if (ssh_pki_export_pubkey_base64(key.get(), &b64) != SSH_OK) return make_error(ExitCode::failure, "cannot export the public key");
  const std::string line = std::string(ssh_key_type_to_char(ssh_key_type(key.get()))) + " " + b64 + " " + comment + "\n";
  ssh_string_free_char(b64);
  return write_file_atomic(path + ".pub", line, 0644);
}

void SshSession::Deleter::operator()(ssh_session s) const {
  if (ssh_is_connected(s)) ssh_disconnect(s);
  ssh_free(s);
}

void SshChannel::Deleter::operator()(ssh_channel c) const {
  if (ssh_channel_is_open(c)) {
    ssh_channel_send_eof(c);
    ssh_channel_close(c);
  }
  ssh_channel_free(c);
}

SshSession::~SshSession() = default;

Result<SshSession> SshSession::connect(const SshOptions& o) {
  SshSession self;
  self.session_.reset(ssh_new());
  if (!self.session_) return make_error(ExitCode::failure, "ssh_new failed");
  ssh_session s = self.session_.get();
  self.peer_ = o.user + "@" + o.host + ":" + std::to_string(o.port);
  const unsigned int port = static_cast<unsigned int>(o.port);
  long timeout_s = static_cast<long>(o.connect_timeout.count() / 1000);
  long timeout_us = static_cast<long>((o.connect_timeout.count() % 1000) * 1000);
  int no = 0;
  int yes = 1;
  ssh_options_set(s, SSH_OPTIONS_HOST, o.host.c_str());
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  ssh_options_set(s, SSH_OPTIONS_USER, o.user.c_str());
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout_s);
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &timeout_us);
  // known_hosts is the only trust source: no global file, no ssh_config.
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, o.known_hosts.c_str());
  ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
  ssh_options_set(s, SSH_OPTIONS_NODELAY, &yes);
  ssh_options_set(s, SSH_OPTIONS_COMPRESSION, o.compression ? "yes" : "no");

  spdlog::debug("connecting to {}", self.peer_);
  if (ssh_connect(s) != SSH_OK) {
    return ssh_error(ExitCode::unreachable, "cannot connect to " + self.peer_, s);
  }
  if (auto st = verify_host_key(s, o, self.fingerprint_); !st) return st.error();
  if (auto st = authenticate(s, o); !st) return st.error();
  spdlog::debug("connected to {} (host key {})", self.peer_, self.fingerprint_);
  return self;
}

void SshSession::ChannelDeleter::operator()(ssh_channel c) const {
  if (ssh_channel_is_open(c)) ssh_channel_close(c);
  ssh_channel_free(c);
}

Status SshSession::sftp_read(std::string& out, size_t n, Clock::time_point deadline) {
  out.clear();
  char buf[4096];
  while (out.size() < n) {
    const auto want = static_cast<uint32_t>(std::min(sizeof buf, n - out.size()));
    int got = ssh_channel_read_timeout(sftp_.get(), buf, want, 0, 200);
    if (got == SSH_ERROR || (got == 0 && (ssh_channel_is_eof(sftp_.get()) || ssh_channel_is_closed(sftp_.get())))) {
      sftp_.reset();
      if (!ssh_is_connected(session_.get())) return make_error(ExitCode::unreachable, "connection to " + peer_ + " lost");
      return make_error(ExitCode::failure, "the SFTP channel to " + peer_ + " closed");
    }
    out.append(buf, static_cast<size_t>(std::max(got, 0)));
    if (out.size() < n && Clock::now() > deadline) {
      sftp_.reset();  // a reply may still come: never read it as the next one's
      return make_error(ExitCode::failure, "SFTP on " + peer_ + " did not answer in time");
    }
    if (cancel_requested()) {
      sftp_.reset();
      return make_error(ExitCode::failure, "interrupted");
    }
  }
  return {};
}

Status SshSession::sftp_write(const std::string& data, Clock::time_point deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    // libssh waits (up to the session's timeout) for the peer to open its window, and may
    // then have written nothing: a peer that never does is held off by the deadline.
    int w = ssh_channel_write(sftp_.get(), data.data() + sent, static_cast<uint32_t>(data.size() - sent));
    if (w < 0) {
      sftp_.reset();
      if (!ssh_is_connected(session_.get())) return make_error(ExitCode::unreachable, "connection to " + peer_ + " lost");
      return make_error(ExitCode::failure, "cannot send to SFTP on " + peer_);
    }
    sent += static_cast<size_t>(w);
    if (sent < data.size() && (Clock::now() > deadline || cancel_requested())) {
      sftp_.reset();
      return make_error(ExitCode::failure, "SFTP on " + peer_ + " took no requests in time");
    }
  }
  return {};
}

Status SshSession::sftp_packet(std::string& body, Clock::time_point deadline) {
  std::string prefix;
  if (auto st = sftp_read(prefix, 4, deadline); !st) return st;
  const auto length = sftp::packet_length(prefix);
  if (!length) {
    sftp_.reset();
    return make_error(ExitCode::failure, "SFTP on " + peer_ + " sent a packet of no or too great a length (not SFTP?)");
  }
  return sftp_read(body, *length, deadline);
}

void SshSession::sftp_drop_stderr() {
  // What the server says on stderr is never wanted, and libssh keeps it (and opens the
  // window for more) until it is read: dropped once a call, a bounded amount.
  char junk[4096];
  for (int i = 0; i < 256 && ssh_channel_read_nonblocking(sftp_.get(), junk, sizeof junk, 1) > 0; ++i) {
  }
}

Result<ssh_channel> SshSession::sftp_channel() {
  if (sftp_) return sftp_.get();
  // Why is logged once, by the call that gave SFTP up (sftp_stat).
  if (sftp_given_up_) return make_error(ExitCode::failure, "SFTP on " + peer_ + " was given up for this session");
  return open_sftp();
}

Result<ssh_channel> SshSession::open_sftp() {
  ssh_session s = session_.get();
  ssh_channel raw = ssh_channel_new(s);
  if (!raw) return ssh_error(ExitCode::unreachable, "cannot open a channel to " + peer_, s);
  sftp_.reset(raw);
  // A lost connection is exit 3 (the caller reconnects); anything else leaves this
  // session to the exec stat.
  auto failed = [&](const std::string& what) {
    sftp_.reset();
    if (!ssh_is_connected(s)) return make_error(ExitCode::unreachable, "connection to " + peer_ + " lost");
    return make_error(ExitCode::failure, what);
  };
  if (ssh_channel_open_session(raw) != SSH_OK) return failed("cannot open a channel for SFTP on " + peer_);
  if (ssh_channel_request_subsystem(raw, "sftp") != SSH_OK) return failed("SFTP is not available on " + peer_);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  if (auto st = sftp_write(sftp::init_packet(), deadline); !st) return st.error();
  std::string body;
  if (auto st = sftp_packet(body, deadline); !st) return st.error();
  // The server answers with the lower of its version and ours (3); a later one's
  // attributes are laid out otherwise and would be misread.
  const auto version = sftp::parse_version(body);
  if (version != 3u) return failed("SFTP on " + peer_ + " does not speak version 3");
  sftp_drop_stderr();
  return raw;
}

Result<std::vector<SshSession::RemoteStat>> SshSession::sftp_stat(const std::vector<std::string>& paths) {
  auto stats = sftp_stat_once(paths);
  // A server that answered out of protocol, too late, or could not stat a file (a
  // non-root login, where the exec runs through sudo) is not asked again on this session:
  // the watch then stats over an exec, instead of trying both every second.
  if (!stats && stats.error().code != ExitCode::unreachable && !cancel_requested()) sftp_given_up_ = true;
  return stats;
}

Result<std::vector<SshSession::RemoteStat>> SshSession::sftp_stat_once(const std::vector<std::string>& paths) {
  auto channel = sftp_channel();
  if (!channel) return channel.error();
  // Every request at once; the replies may come in any order and are matched by id.
  std::string requests;
  const uint32_t first = sftp_id_ + 1;
  for (const auto& path : paths) requests += sftp::stat_packet(++sftp_id_, path);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  if (auto st = sftp_write(requests, deadline); !st) return st.error();
  std::vector<std::optional<RemoteStat>> out(paths.size());
  std::string body, why;
  for (size_t answered = 0; answered < paths.size(); ++answered) {
    if (auto st = sftp_packet(body, deadline); !st) return st.error();
    auto reply = sftp::parse_stat_reply(body, why);
    // Ids are unsigned and wrap: the request's index is the distance from the first.
    const size_t index = reply ? static_cast<uint32_t>(reply->id - first) : paths.size();
    if (!reply || index >= paths.size() || out[index]) {
      sftp_.reset();
      return make_error(ExitCode::failure, "SFTP on " + peer_ + " answered out of protocol: " +
                                               (reply ? "a reply to no request of ours" : why));
    }
    RemoteStat st;
    if (reply->status) {
      if (*reply->status != sftp::kFxNoSuchFile) {
        sftp_.reset();  // the other replies are not read: never take them for the next call's
        return make_error(ExitCode::failure, "SFTP stat of " + paths[index] + " on " + peer_ + " failed (status " +
                                                 std::to_string(*reply->status) + ")");
      }
    } else {
      if (!reply->size || !reply->mtime) {
        sftp_.reset();
        return make_error(ExitCode::failure, "SFTP on " + peer_ + " left out the size or time of " + paths[index]);
      }
      st.exists = true;
      st.size = *reply->size;
      st.mtime = *reply->mtime;
    }
    out[index] = st;
  }
  sftp_drop_stderr();
  std::vector<RemoteStat> stats;
  for (auto& o : out) stats.push_back(*o);
  return stats;
}

bool SshSession::keepalive() {
  return ssh_is_connected(session_.get()) && ssh_send_keepalive(session_.get()) == SSH_OK;
}

Result<SshChannel> SshSession::open(const std::string& command) {
  ssh_session s = session_.get();
  ssh_channel raw = ssh_channel_new(s);
  if (!raw) return ssh_error(ExitCode::unreachable, "cannot open a channel to " + peer_, s);
  SshChannel channel(raw, peer_);
  if (ssh_channel_open_session(raw) != SSH_OK) return ssh_error(ExitCode::unreachable, "cannot open a session channel to " + peer_, s);
  if (ssh_channel_request_exec(raw, command.c_str()) != SSH_OK) return ssh_error(ExitCode::unreachable, "cannot run a command on " + peer_, s);
  return channel;
}

Result<ExecResult> SshSession::exec(const std::string& command, const std::string& input, Millis timeout) {
  size_t offset = 0;
  DataSource source = [&](char* buffer, size_t capacity) -> Result<size_t> {
    size_t n = std::min(capacity, input.size() - offset);
    std::copy_n(input.data() + offset, n, buffer);
    offset += n;
    return n;
  };
  std::string out;
  DataSink sink = [&](const char* data, size_t size) -> Status {
    out.append(data, size);
    return {};
  };
  auto result = exec_stream(command, source, sink, timeout);
  if (!result) return result;
  result->out = std::move(out);
  return result;
}

Result<ExecResult> SshSession::exec_stream(const std::string& command, const DataSource& source, const DataSink& sink,
                                           Millis timeout) {
  ssh_session s = session_.get();
  spdlog::debug("remote exec: {}", command.size() > 300 ? command.substr(0, 300) + "..." : command);
  auto opened = open(command);
  if (!opened) return opened.error();
  ssh_channel ch = opened->channel_.get();
  const auto deadline = Clock::now() + timeout;
  ExecResult result;
  std::vector<char> buf(256 * 1024);

  if (source) {
    for (;;) {
      if (cancel_requested()) return make_error(ExitCode::failure, "interrupted");
      auto n = source(buf.data(), buf.size());
      if (!n) return n.error();
      if (*n == 0) break;
      size_t sent = 0;
      while (sent < *n) {
        int w = ssh_channel_write(ch, buf.data() + sent, static_cast<uint32_t>(*n - sent));
        if (w == SSH_ERROR) return ssh_error(ExitCode::unreachable, "sending data to " + peer_ + " failed", s);
        sent += static_cast<size_t>(w);
      }
    }
  }
  ssh_channel_send_eof(ch);

  for (;;) {
    int n = ssh_channel_read_timeout(ch, buf.data(), static_cast<uint32_t>(buf.size()), 0, 200);
    if (n == SSH_ERROR) return ssh_error(ExitCode::unreachable, "reading from " + peer_ + " failed", s);
    if (n > 0) {
      if (auto st = sink(buf.data(), static_cast<size_t>(n)); !st) return st.error();
    }
    int e;
    while ((e = ssh_channel_read_nonblocking(ch, buf.data(), static_cast<uint32_t>(buf.size()), 1)) > 0) {
      if (result.err.size() < 65536) result.err.append(buf.data(), static_cast<size_t>(e));
    }
    if (n <= 0 && ssh_channel_is_eof(ch)) {
      // Both streams end at EOF; read whatever stdout is still buffered.
      while ((n = ssh_channel_read_nonblocking(ch, buf.data(), static_cast<uint32_t>(buf.size()), 0)) > 0) {
        if (auto st = sink(buf.data(), static_cast<size_t>(n)); !st) return st.error();
      }
      break;
    }
    if (Clock::now() > deadline) {
      return make_error(ExitCode::failure, "remote command on " + peer_ + " did not finish within " + format_duration(timeout));
    }
    if (cancel_requested()) return make_error(ExitCode::failure, "interrupted");
    if (!ssh_is_connected(s)) return make_error(ExitCode::unreachable, "connection to " + peer_ + " lost");
  }
  result.exit_code = ssh_channel_get_exit_status(ch);
  return result;
}

SshChannel::SshChannel(ssh_channel channel, std::string peer) : channel_(channel), peer_(std::move(peer)) {}

SshChannel::~SshChannel() = default;

void SshChannel::close() { channel_.reset(); }

Result<std::string> SshChannel::read_line(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    ssh_channel ch = channel_.get();
    int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 200);
    if (n == SSH_ERROR) return make_error(ExitCode::unreachable, "reading from " + peer_ + " failed");
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch)) {
      std::string err;
      while ((n = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1)) > 0) err.append(buf, static_cast<size_t>(n));
      int code = ssh_channel_get_exit_status(ch);
      return make_error(ExitCode::failure, "remote command ended (exit " + std::to_string(code) + ")" +
                                               (err.empty() ? "" : ": " + err));
    }
    if (Clock::now() > deadline) return make_error(ExitCode::failure, "timed out waiting for " + peer_);
    if (cancel_requested()) return make_error(ExitCode::failure, "interrupted");
  }
}

}  // namespace gs
