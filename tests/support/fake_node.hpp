#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gravity_sync/node/node.hpp"
#include "test_support.hpp"

namespace gs::test {

// A clock that stands still until sleep_for() moves it: a FakeNode's FTL pacing and waits
// take no time, and a test can see how long they would have taken.
class FakeClock : public Clock {
 public:
  SteadyTime steady() const override { return now_; }
  int64_t wall() const override {
    return 1'700'000'000 + std::chrono::duration_cast<std::chrono::seconds>(now_.time_since_epoch()).count();
  }
  void sleep_for(Millis duration) const override {
    now_ += duration;
    slept_ += duration;
  }
  // How long all sleeps together would have taken.
  Millis slept() const { return slept_; }

 private:
  mutable SteadyTime now_{};
  mutable Millis slept_{0};
};

// One item as a FakeNode holds it.
struct FakeItem {
  bool exists = true;
  std::string digest;  // what inspect() reports as sha256 and canonical form
  uint64_t size = 100;
  int64_t mtime = 1'700'000'000;  // also the time of the last change
  int schema_version = 15;        // gravity only
  bool fresh = false;             // gravity only
  std::optional<size_t> records;  // text items: how many records it holds (unknown if unset)
  std::optional<Error> error;     // inspect() reports the item unreadable with this
};

// An in-memory Pi-hole node for testing the sync engine without sshd or Pi-hole (as ninja
// tests its builder against VirtualFileSystem + FakeCommandRunner). It records every call
// in order as a readable line ("lock", "inspect gravity,cname", "stage gravity",
// "check_space gravity receiving", "install gravity tables", "reload lists",
// "rebuild_gravity", "release_replaced", "unlock"), and fail() makes a call fail.
//
// It does what a real node does, no more: an install replaces the item with the staged
// digest (and keeps a backup of what it replaced), a failed call changes nothing, a v6
// value is set through the node's FtlPacer, `pihole restartdns` (v5) starts a stopped
// FTL, and release_replaced() acts (and is recorded) only when an install replaced a
// gravity.db; reload_ready() is recorded as a read ("can_reload"). Staged copies are real
// temp files, so their checksum is checked on install.
class FakeNode : public Node {
 public:
  // A node called `name` ("local", "remote") running Pi-hole `major`.
  explicit FakeNode(const char* name, int major = 5);

  // Give the node `item` in `state`; an item never set is missing there.
  void set_item(Item which, FakeItem state);
  // The node's `item` now (what an install left there).
  const FakeItem& item(Item which) const;

  // Make every call recorded as `call` ("install gravity") fail with `error`, or no longer.
  void fail(const std::string& call, Error error);
  void heal(const std::string& call) { failures_.erase(call); }
  // The state of the node's pihole-FTL from now on.
  void set_ftl(FtlState state) { ftl_ = state; }
  // Whether an install of received tables changes the adlists (Installed::rebuild).
  void set_adlists_change(bool change) { adlists_change_ = change; }

  // The node's clock (its FTL pacing and waits sleep on it, taking no time).
  const FakeClock& fake_clock() const { return clock_; }

  // Every call so far, in order.
  const std::vector<std::string>& calls() const { return calls_; }
  // The calls that act on the node: without those that only read (inspect, stat_items,
  // probe, backups, now, ftl_status).
  std::vector<std::string> actions() const;

  const char* name() const override { return name_; }
  Result<NodeProbe> probe(const std::vector<Item>& items) override;
  Result<NodeState> inspect(const std::vector<Item>& items) override;
  Result<std::map<Item, FileInfo>> stat_items(const std::vector<Item>& items) override;
  Result<int64_t> now() override;
  Result<Staged> stage(Item item, const std::string& local_dir, const StageOptions& how) override;
  Status check_space(Item item, uint64_t bytes, Role role) override;
  std::string staging_dir(Item item) const override;
  Result<Installed> install(const Staged& staged, const ItemState& current) override;
  Status reload_ready() override;
  Status check_item(Item) override { return {}; }
  Status check_writable(const std::vector<Item>&) override { return {}; }
  Status reload(Reload level) override;
  Result<FtlStatus> ftl_status() override;
  void release_replaced(Millis wait) override;
  Status rebuild_gravity() override;
  int major_version() override { return major_; }
  Result<std::unique_ptr<NodeLock>> lock(Millis wait) override;
  void clean_stale() override;
  Result<std::vector<BackupEntry>> backups() override;
  Result<Installed> restore(const BackupEntry& entry, const ItemState& current) override;
  // As the real node: a v6 value installed in between is queued ("install ITEM"), and set
  // by commit_values() ("commit ITEM", which fail() can make fail: the item stays as it was).
  void begin_values() override { queued_.emplace(); }
  std::vector<Committed> commit_values() override;

 private:
  // Keep a backup of `which` as it is now; its id.
  std::string keep_backup(Item which);
  // Record `call`; the error fail() set for it, if any.
  std::optional<Error> record(const std::string& call);

  const char* name_;
  int major_;
  FakeClock clock_;
  TempDir dir_;
  std::map<Item, FakeItem> items_;
  std::map<std::string, Error> failures_;
  std::vector<std::string> calls_;
  FtlState ftl_ = FtlState::ready;
  bool adlists_change_ = false;
  int backups_made_ = 0;
  std::vector<std::pair<BackupEntry, FakeItem>> kept_;  // every backup, oldest first
  int replaced_ = 0;  // gravity.db files replaced since the last release_replaced()
  std::optional<std::vector<std::pair<Item, FakeItem>>> queued_;  // values and what they set
};

}  // namespace gs::test
