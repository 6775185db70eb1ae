#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <libssh/libssh.h>

#include "gravity_sync/ssh/known_hosts.hpp"
#include "gravity_sync/util/duration.hpp"
#include "gravity_sync/util/error.hpp"

namespace gs {

// Where to connect and what to trust. known_hosts is the only trust source.
struct SshOptions {
  std::string host;
  int port = 22;
  std::string user;
  std::string identity_file;
  std::string known_hosts;
  Millis connect_timeout{10'000};
  // Ask for zlib compression of the SSH stream (used when the server agrees).
  bool compression = false;
  // Only for first-run set-up: asked (with the key type and SHA-256 fingerprint) when the
  // host key is not in known_hosts at all; true appends it there. Unset: unknown keys are
  // refused.
  std::function<bool(const std::string& type, const std::string& fingerprint)> confirm_new_host_key;
  // Only for `init` (rotating a host key): asked with the key the server offers and the
  // keys known_hosts holds for it (ssh/known_hosts.hpp) when they differ (a CHANGED key,
  // or only a key of another type known); true replaces those entries with the offered
  // key. Unset: a changed key is refused (ExitCode::host_key).
  std::function<bool(const std::string& type, const std::string& fingerprint, const std::vector<KnownKey>& known)>
      confirm_changed_host_key;
};

// What to do so that `o.identity_file` logs in as o.user@o.host: create the key when it is
// missing, write its public half when only that is missing, then install the public key
// there; one sentence naming the exact commands.
std::string key_install_advice(const SshOptions& o);

// Create an ed25519 key pair: the private key at `path` (0600), the public at `path`.pub.
// `comment` ends the public key line.
Status generate_ed25519_key(const std::string& path, const std::string& comment);

// What a finished remote command left behind.
struct ExecResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Receives stdout bytes of a streaming exec; an Error stops the transfer.
using DataSink = std::function<Status(const char* data, size_t size)>;
// Fills `buffer` with up to `capacity` bytes of input; returns bytes filled, 0 at end.
using DataSource = std::function<Result<size_t>(char* buffer, size_t capacity)>;

class SshChannel;

// One authenticated SSH connection. Move-only; never shared between threads.
class SshSession {
 public:
  // Connect, verify the host key against `options.known_hosts` only (exit 4 when unknown
  // or changed), authenticate with the identity file or the ssh-agent (exit 3 on failure).
  static Result<SshSession> connect(const SshOptions& options);

  SshSession(SshSession&&) noexcept = default;
  // Not assignable: the default would free the old session (and so its channels) before
  // the old SFTP channel.
  SshSession& operator=(SshSession&&) = delete;
  ~SshSession();

  // Run `command` through the remote shell with `input` on its stdin; wait up to `timeout`.
  Result<ExecResult> exec(const std::string& command, const std::string& input = "",
                          Millis timeout = Millis(600'000));

  // Run `command`, feeding stdin from `source` (if set) and passing stdout to `sink`
  // as it arrives. stderr is collected into the result's `err`.
  Result<ExecResult> exec_stream(const std::string& command, const DataSource& source, const DataSink& sink,
                                 Millis timeout = Millis(3'600'000));

  // Start `command` and keep its channel open (for a lock held by a remote process).
  Result<SshChannel> open(const std::string& command);

  // The SHA-256 fingerprint of the server's host key, as ssh-keygen -l prints it.
  std::string host_key_fingerprint() const { return fingerprint_; }

  // What SFTP says of a remote file: exists, size, mtime (SFTP v3 has no inode).
  struct RemoteStat {
    bool exists = false;
    uint64_t size = 0;
    int64_t mtime = 0;
  };
  // stat each of `paths` over one SFTP channel kept open for the session's life: no
  // process is started on the remote, and every request goes in one write, so all of
  // them cost one round trip (ssh/sftp_wire). An Error when SFTP is unavailable, answers
  // out of protocol or too late (10 s for the replies, plus libssh's session timeout for
  // each step that waits on the peer), or cannot stat a file (exit 3 when the connection
  // is gone); SFTP is then not used again on this session.
  Result<std::vector<RemoteStat>> sftp_stat(const std::vector<std::string>& paths);

  // Send an SSH keepalive; false when the connection is gone.
  bool keepalive();

  // "user@host:port", for messages.
  const std::string& peer() const { return peer_; }

 private:
  SshSession() = default;
  struct Deleter {
    void operator()(ssh_session s) const;
  };
  struct ChannelDeleter {
    void operator()(ssh_channel c) const;
  };
  // The SFTP channel, opened and initialised (SFTP v3) when needed. A server that refuses
  // SFTP or does not speak it is not asked again on this session (sftp_given_up_).
  Result<ssh_channel> sftp_channel();
  Result<ssh_channel> open_sftp();
  Result<std::vector<RemoteStat>> sftp_stat_once(const std::vector<std::string>& paths);
  // Read exactly `n` bytes of the SFTP channel into `out` by `deadline`.
  Status sftp_read(std::string& out, size_t n, std::chrono::steady_clock::time_point deadline);
  // Write `data` to the SFTP channel by `deadline`.
  Status sftp_write(const std::string& data, std::chrono::steady_clock::time_point deadline);
  // Read and drop what the SFTP server wrote on stderr.
  void sftp_drop_stderr();
  // Read one SFTP packet's body (its length prefix checked, ssh/sftp_wire) by `deadline`.
  Status sftp_packet(std::string& body, std::chrono::steady_clock::time_point deadline);
  std::unique_ptr<ssh_session_struct, Deleter> session_;
  // Declared after session_: destroyed first.
  std::unique_ptr<ssh_channel_struct, ChannelDeleter> sftp_;
  uint32_t sftp_id_ = 0;  // the last SFTP request id
  bool sftp_given_up_ = false;  // SFTP failed on this session: not tried again
  std::string peer_;
  std::string fingerprint_;
  friend class SshChannel;
};

// An open exec channel: write to its stdin, read its stdout line by line. Move-only;
// closing (or destroying) it sends EOF and closes the channel.
class SshChannel {
 public:
  SshChannel(SshChannel&&) noexcept = default;
  SshChannel& operator=(SshChannel&&) noexcept = default;
  ~SshChannel();

  // Read one line of stdout (without its newline), waiting up to `timeout`.
  // An Error when the command ended first; its stderr is in the message.
  Result<std::string> read_line(Millis timeout);

  // Send EOF and close.
  void close();

 private:
  struct Deleter {
    void operator()(ssh_channel c) const;
  };
  explicit SshChannel(ssh_channel channel, std::string peer);
  std::unique_ptr<ssh_channel_struct, Deleter> channel_;
  std::string peer_;
  std::string buffer_;
  friend class SshSession;
};

}  // namespace gs
