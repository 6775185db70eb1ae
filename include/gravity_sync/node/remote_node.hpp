#pragma once

#include <map>

#include "gravity_sync/node/local_node.hpp"
#include "gravity_sync/node/node.hpp"
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
class RemoteNode : public Node {
 public:
  // `session` must outlive this node. `local_tmp` is where pushes are staged here.
  RemoteNode(SshSession& session, PiholeLayout layout, BackupPolicy backups, std::string local_tmp,
             RemoteAccess access = {});

  // Change how long install() waits for a rebuild or for the write lock and a journal.
  void set_waits(SwapWaits waits) { waits_ = waits; }

  const char* name() const override { return "remote"; }
  Result<NodeProbe> probe(const std::vector<Item>& items) override;
  Result<NodeState> inspect(const std::vector<Item>& items) override;
  Result<std::map<Item, FileInfo>> stat_items(const std::vector<Item>& items) override;
  Result<int64_t> now() override;
  Result<Staged> stage(Item item, const std::string& local_dir, const StageOptions& how) override;
  Status check_space(Item item, uint64_t bytes, bool receiving) override;
  std::string staging_dir(Item item) const override;
  Result<Installed> install(const Staged& staged, const ItemState& current) override;
  Status reload(Reload level) override;
  Result<FtlStatus> ftl_status() override;
  void release_replaced(Millis wait) override;
  Status rebuild_gravity() override;
  int major_version() override;
  Result<std::unique_ptr<NodeLock>> lock(Millis wait) override;
  void clean_stale() override;
  Result<std::vector<BackupEntry>> backups() override;
  Result<Installed> restore(const BackupEntry& entry, const ItemState& current) override;

  // The remote clock minus ours, in seconds, as of the last inspect (0 before one).
  int64_t clock_offset() const { return clock_offset_; }

  // Bytes received from / sent to the remote for file payloads so far.
  uint64_t bytes_moved() const { return bytes_; }

 // What the remote user's shell printed outside gravity-sync's answers (a greeting from
  // a startup file), printable; empty when it printed nothing. Never part of an answer.
  const std::string& shell_noise() const { return shell_noise_; }

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
  // The install steps after a verified copy `file` sits in the private directory `work`
  // beside the live item there (upload, install_tables, restore).
  Result<Installed> install_remote_temp(Item item, const std::string& work, const std::string& file,
                                        const std::string& sha, const ItemState& current);
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
  Result<TomlAnswer> read_toml();
  // The records of a text item there: its v5 file, or its value in pihole.toml on v6.
  Result<Records> read_records(Item item);
  // A v5 text file there, as it is (at most kMaxTextItem bytes; a regular file only).
  Result<std::string> read_text_file(Item item);
  // The text file of `item`'s kind at `path` there (a backup, say) the same way; `what`
  // names it in an error.
  Result<std::string> read_text_at(Item item, const std::string& path, const std::string& what);
  // v6: back up the current value there, then set `records` through FTL.
  Result<Installed> install_records(Item item, const Records& records);
  // Tables mode, pulling: the remote's configuration rows as data, made into a tables
  // file in `fresh` here.
  Result<Staged> stage_tables(NewStaged fresh);
  // Stream the local file of `staged` into a new private directory beside the live item
  // there (as the file `up`); that directory's path.
  Result<std::string> upload(const Staged& staged);
  // Tables mode: check the uploaded tables file in `work`, apply it to a snapshot of the
  // live gravity.db there, then install that snapshot like any received copy.
  Result<Installed> install_tables(const Staged& staged, const std::string& work, const ItemState& current);
  // Remove the private directory `work` there (after a refusal).
  void discard(const std::string& work);
  // Remove backups of `item` there beyond backup.keep (backups_to_prune).
  void prune_backups(Item item);
  // Run `pihole ARGS...` there.
  Status run_pihole(const std::vector<std::string>& args, Millis timeout, const char* what);

  SshSession& session_;
  PiholeLayout layout_;
  BackupPolicy backups_;
  std::string local_tmp_;
  RemoteAccess access_;
  SwapWaits waits_;
  bool sudo_checked_ = false;
  int major_ = 0;
  std::map<Item, uint64_t> sizes_;  // of each item's file, as of the last inspect
  int schema_version_ = 0;          // of its gravity.db, as of the last inspect
  int64_t last_time_ = 0;
  int64_t clock_offset_ = 0;
  uint64_t bytes_ = 0;
  std::optional<std::string> pid_file_;  // FTL's PID file as FTL sees it, once known
  int sigrtmin_ = 34;
  std::vector<std::string> replaced_;  // gravity.db files replaced in this run, still linked
  std::string shell_noise_;            // the first bytes seen outside an answer
  std::string prelude_;                // prelude(), once built
};

}  // namespace gs
