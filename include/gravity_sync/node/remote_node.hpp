#pragma once

#include <map>

#include "gravity_sync/node/local_node.hpp"
#include "gravity_sync/node/pihole_node.hpp"
#include "gravity_sync/node/remote_answer.hpp"
#include "gravity_sync/pihole/layout.hpp"
#include "gravity_sync/pihole/pihole_toml.hpp"
#include "gravity_sync/pihole/records.hpp"
#include "gravity_sync/ssh/session.hpp"

namespace gs {

// How gravity-sync acts on the remote: as the SSH user, or as root through `sudo -n`.
struct RemoteAccess {
  std::string user = "root";
  bool sudo = false;
};

// The sudoers line that lets `user` run gravity-sync's remote commands.
inline std::string sudoers_line(const std::string& user) { return user + " ALL=(root) NOPASSWD: /bin/sh"; }

// The Pi-hole at the other end of an SSH session. Every operation is one small POSIX
// `sh` script run over an exec channel, with every value shell-quoted and every answer
// framed (remote_answer.hpp); files travel as framed payloads and are hashed on both
// ends. Temp files there live in a private directory (0700, a name of ours) beside the
// live item, used through the script's working directory, never by a path another user
// could replace.
class RemoteNode : public PiholeNode {
 public:
  // `session` must outlive this node. `local_tmp` is where pushes are staged here.
  RemoteNode(SshSession& session, PiholeLayout layout, BackupPolicy backups, std::string local_tmp,
             RemoteAccess access = {});

  Result<NodeProbe> probe(const std::vector<Item>& items) override;
  Result<std::map<Item, FileInfo>> stat_items(const std::vector<Item>& items) override;
  Result<int64_t> now() override;
  Status check_space(Item item, uint64_t bytes, Role role) override;
  Status check_writable(const std::vector<Item>& items) override;
  std::string staging_dir(Item item) const override;
  void release_replaced(Millis wait) override;
  int major_version() override;
  Result<std::unique_ptr<NodeLock>> lock(Millis wait) override;
  void clean_stale() override;
  Result<std::vector<BackupEntry>> backups() override;

  // The remote clock minus ours, in seconds, as of the last inspect (0 before one).
  int64_t clock_offset() const { return clock_offset_; }

  // Bytes received from / sent to the remote for file payloads so far.
  uint64_t bytes_moved() const { return bytes_; }

 // What the remote user's shell printed outside gravity-sync's answers (a greeting from
  // a startup file), printable; empty when it printed nothing. Never part of an answer.
  const std::string& shell_noise() const { return shell_noise_; }

 protected:
  Result<ItemFiles> read_items(const std::vector<Item>& items) override;
  Result<PiholeToml> read_toml() override;
  Result<std::string> read_text_file(Item item) override;
  Result<std::string> read_backup_text(const BackupEntry& entry) override;
  Result<BackupEntry> keep_value_backup(Item item, const std::string& file) override;
  Result<FtlSet> ftl_config_set(const std::string& key, const std::string& json) override;
  Result<std::vector<FtlSet>> ftl_config_set_all(
      const std::vector<std::pair<std::string, std::string>>& values) override;
  void remove_backups(const std::vector<BackupEntry>& entries) override;
  Result<Staged> stage_gravity(NewStaged fresh, const StageOptions& how) override;
  void count_staged(const Staged& staged) override { bytes_ += staged.size; }
  Result<NodeCopy> receive_copy(const Staged& staged) override;
  Result<NodeCopy> backup_copy(const BackupEntry& entry) override;
  Result<TablesCopy> apply_received_tables(const NodeCopy& tables, const std::string& digest,
                                           const ItemState& current) override;
  std::future<Status> verify_copy(const NodeCopy& copy, int want) override;
  Result<bool> rebuilding() override;
  Result<std::optional<BackupEntry>> keep_file_backup(const NodeCopy& copy) override;
  Status swap_copy(NodeCopy& copy, bool& moved) override;
  void discard_copy(const NodeCopy& copy) override;
  Result<FtlIdentity> ftl_identity() override;
  Result<std::string> run_ftl(const std::vector<std::string>& args, Millis timeout) override;
  Result<std::vector<std::string>> missing_commands(const std::vector<std::string>& commands) override;
  Status run_pihole(const std::vector<std::string>& args, Millis timeout, const char* what) override;

 private:
  // Run the remote verb `verb` (remote_scripts.hpp) there with `vars` defined as shell
  // variables and `args` as its arguments, after the prelude and the library; `input` (or
  // `source`) on its stdin. Its framed answer (remote_answer.hpp), payload bytes going to
  // `payload`. An Error when it could not run, or its frame never began or ended (the
  // command's stderr named).
  Result<RemoteAnswer> run(std::string_view verb, const std::map<std::string, std::string>& vars,
                           const std::vector<std::string>& args = {}, const std::string& input = "",
                           Millis timeout = Millis(600'000), const DataSink& payload = nullptr,
                           const DataSource& source = nullptr);
  // The error of a script that failed: its ERR message (or its exit status), as
  // ExitCode::refused for our "refused" status and ExitCode::failure otherwise.
  Error failed(const RemoteAnswer& answer, const std::string& what) const;
  // gravity-sync's lock file there (lock(), check_writable()).
  std::string lock_path() const;
  // What every remote script starts with: the node's paths and commands, the fixed SQL and
  // the shell functions (kFunctions).
  const std::string& prelude();
  // `script` as the command line that runs it there (through sudo when configured).
  std::string shell(const std::string& script) const;
  // With sudo: check once that sudo runs without a password (ExitCode::unreachable if not).
  Status ready();
  // A new private directory's path beside the live `item` there: a random name of ours,
  // made by the script that uses it (mkdir, so never one that exists).
  std::string new_work_dir(Item item) const;
  // pihole.toml there, as `tomlout` prints it ("TOML MTIME HEX", "TOML -" or
  // "TOMLERR MESSAGE"), parsed.
  struct TomlAnswer {
    PiholeToml toml;
    std::string text;
    std::optional<int64_t> mtime;
  };
  Result<TomlAnswer> parse_toml_answer(const RemoteAnswer& answer);
  Result<TomlAnswer> read_toml_answer();
  // The text file of `item`'s kind at `path` there (a backup, say), as it is (at most
  // kMaxTextItem bytes; a regular file only); `what` names it in an error.
  Result<std::string> read_text_at(Item item, const std::string& path, const std::string& what);
  // Tables mode, pulling: the remote's configuration rows as data, made into a tables
  // file in `fresh` here.
  Result<Staged> stage_tables(NewStaged fresh);
  // Stream the local file of `staged` into a new private directory beside the live item
  // there (as the file `up`); that directory's path.
  Result<std::string> upload(const Staged& staged);
  // Remove the private directory `work` there (after a refusal).
  void discard(const std::string& work);

  SshSession& session_;
  std::string local_tmp_;
  RemoteAccess access_;
  bool sudo_checked_ = false;
  int major_ = 0;
  std::map<Item, uint64_t> sizes_;  // of each item's file, as of the last inspect
  int schema_version_ = 0;          // of its gravity.db, as of the last inspect
  int64_t last_time_ = 0;
  int64_t clock_offset_ = 0;
  uint64_t bytes_ = 0;
  std::vector<std::string> replaced_;  // private directories holding a gravity.db replaced in this run (`old`)
  std::string shell_noise_;            // the first bytes seen outside an answer
  std::string prelude_;                // prelude(), once built
};

}  // namespace gs
