#include "gravity_sync/sync/engine.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <tuple>

#include <spdlog/spdlog.h>

#include "gravity_sync/util/cancel.hpp"
#include "gravity_sync/util/duration.hpp"

namespace gs {

const char* command_name(Command command) {
  switch (command) {
    case Command::compare:
      return "compare";
    case Command::sync:
      return "sync";
    case Command::pull:
      return "pull";
    case Command::push:
      return "push";
  }
  return "compare";
}

namespace {

SyncMode mode_of(Command command) {
  switch (command) {
    case Command::pull:
      return SyncMode::pull;
    case Command::push:
      return SyncMode::push;
    default:
      return SyncMode::sync;
  }
}

RunReport stopped(RunReport report, Error error) {
  report.code = error.code;
  if (cancel_requested()) {
    spdlog::info("stopped: {}", error.message);  // asked to stop; not a failure to report
  } else {
    spdlog::error("{}", error.message);
  }
  report.error = std::move(error);
  return report;
}

void warn_on_clock_skew(Node& local, Node& remote) {
  auto l = local.now();
  auto r = remote.now();
  if (l.ok() && r.ok() && std::llabs(*l - *r) > 60) {
    spdlog::warn(
        "the clocks of the two nodes differ by {} s; conflict policy `newer` compares modification times "
        "and may pick the wrong side",
        std::llabs(*l - *r));
  }
}

// Why `r` is not synced at all in this run (Planned::skip), or nullopt: a settings item
// when a node runs Pi-hole v5, and a v6 value that an FTLCONF_ variable sets on a node
// (FTL holds it read-only there: `pihole-FTL --config` exits 5).
std::optional<std::string> not_synced(const ItemReport& r, int local_major, int remote_major) {
  if (r.item.is_setting() && (local_major < 6 || remote_major < 6)) {
    return std::string("settings are Pi-hole v6 only, and the ") + (local_major < 6 ? "local" : "remote") +
           " node runs v" + std::to_string(local_major < 6 ? local_major : remote_major);
  }
  for (const auto& [side, s] : {std::pair{"local", &r.local}, std::pair{"remote", &r.remote}}) {
    if (s->set_by_env.empty()) continue;
    return "skipped: " + s->set_by_env + " sets " + ftl_key(r.item) + " on the " + side +
           " node (FTL holds it read-only there); remove the variable from Pi-hole's environment to sync it";
  }
  return std::nullopt;
}

// What transfer() did: the digest both sides now share, and whether the receiver queued
// it (a v6 value inside begin_values(): it is set by commit_values()).
struct Moved {
  std::string digest;
  bool queued = false;
};

// Move one item from `sender` to `receiver`.
Result<Moved> transfer(Item item, Node& sender, Node& receiver, bool from_here, const ItemState& sender_state,
                             const ItemState& receiver_state, StageOptions how, ItemReport& report) {
  // Tables mode needs a database there to apply the tables to; a missing one is created
  // from the whole file.
  how.gravity_tables = how.gravity_tables && item == Item::gravity && receiver_state.exists;
  // A whole gravity.db leaving this node is first snapshotted into state_dir/tmp: with
  // several peers' runs at once, one at a time, so each room check holds (it is for one
  // copy) and the disk never holds a copy per peer.
  static std::mutex snapshots;
  std::unique_lock<std::mutex> one_snapshot(snapshots, std::defer_lock);
  if (item == Item::gravity && from_here && !how.gravity_tables) one_snapshot.lock();
  // Room on each side before anything is written on either.
  const uint64_t size = std::max(sender_state.size.value_or(0), receiver_state.size.value_or(0));
  if (auto st = sender.check_space(item, size, Role::sending); !st) return st.error();
  if (auto st = receiver.check_space(item, size, Role::receiving); !st) return st.error();
  auto staged = sender.stage(item, receiver.staging_dir(item), how);
  if (!staged) return with_context(staged.error(), std::string(sender.name()) + " " + item_name(item));
  report.bytes = staged->size;
  auto installed = receiver.install(*staged, receiver_state);
  if (!installed) {
    // A copy refused for its content names the node it came from.
    const Error& e = installed.error();
    return with_context(e, e.kind == ErrorKind::bad_copy ? std::string(sender.name()) + " " + item_name(item) +
                                                               " (refused by the " + receiver.name() + " node)"
                                                         : std::string(receiver.name()) + " " + item_name(item));
  }
  report.backup = installed->backup_id;
  report.rebuild = installed->rebuild;
  return Moved{staged->digest, installed->queued};
}

}  // namespace

RunReport run_sync(const Config& config, Node& local, Node& remote, StateStore& state, const RunOptions& options) {
  RunReport report;
  report.command = options.command;
  report.time = static_cast<int64_t>(std::time(nullptr));
  const bool changing = options.command != Command::compare && !options.dry_run;

  std::unique_ptr<NodeLock> local_lock;
  if (options.command != Command::compare && !options.local_lock_held) {
    auto lock = local.lock(options.lock_wait);
    if (!lock) return stopped(std::move(report), lock.error());
    local_lock = std::move(*lock);
    local.clean_stale();
  }
  if (auto st = state.load(); !st) return stopped(std::move(report), st.error());

  auto local_state = local.inspect(options.items);
  if (!local_state) return stopped(std::move(report), with_context(local_state.error(), "local"));
  auto remote_state = remote.inspect(options.items);
  if (!remote_state) return stopped(std::move(report), with_context(remote_state.error(), "remote"));
  report.local_major = local.major_version();
  report.remote_major = remote.major_version();
  // Text items of two v5 nodes are compared byte for byte; as soon as one node runs v6
  // they are compared, and carried, in the canonical form of their records.
  report.form = report.local_major >= 6 || report.remote_major >= 6 ? TextForm::records : TextForm::bytes;
  if (report.form == TextForm::records) {
    for (auto* side : {&*local_state, &*remote_state}) {
      for (auto& [item, s] : *side) {
        if (item != Item::gravity && s.exists && s.error_code == ExitCode::ok) s.sha256 = s.canonical;
      }
    }
  }

  // Whether a node is a fresh node matters only when its empty item would replace records:
  // then its gravity.db's state tells, inspected now if it was not already.
  std::optional<Freshness> local_fresh;
  std::optional<Freshness> remote_fresh;
  auto fresh_node = [](Node& node, const NodeState& inspected, std::optional<Freshness>& known) {
    if (!known) {
      auto it = inspected.find(Item::gravity);
      std::optional<ItemState> gravity;
      if (it != inspected.end()) {
        gravity = it->second;
      } else if (auto read = node.inspect({Item::gravity})) {
        gravity = (*read)[Item::gravity];
      }
      // No gravity.db is a new node; one that cannot be read (locked, damaged, a schema
      // unknown here) cannot tell, and is taken as one that may be fresh.
      if (!gravity || gravity->error_code != ExitCode::ok)
        known = Freshness::unknown;
      else
        known = !gravity->exists || gravity->fresh ? Freshness::fresh : Freshness::configured;
    }
    return *known;
  };

  bool any_push = false;  // the remote lock is needed only while files there change
  for (Item item : options.items) {
    ItemReport r;
    r.item = item;
    r.local = (*local_state)[item];
    r.remote = (*remote_state)[item];
    // A version a pull brought here changed when it was made on its node, not at the pull.
    if (auto v = state.pulled_version(item);
        v && r.local.exists &&
        (v->digest == r.local.sha256 || (!v->canonical.empty() && v->canonical == r.local.canonical))) {
      r.local.changed_at = v->changed_at;
    }
    PlanInput in{item,         r.local, r.remote, state.history(item), mode_of(options.command), config.sync.conflict,
                 options.force};
    // A value an FTLCONF_ variable set on a node, when the variable is gone: FTL has put
    // its default there, which no admin chose. That node counts as unchanged since the last
    // sync and the other as changed, so the other node's value goes there, whatever the
    // conflict policy (and is never wiped by the default).
    const auto env_side = state.env_skipped(item);
    bool unlocked = env_side && r.local.set_by_env.empty() && r.remote.set_by_env.empty();
    // ... unless what this node holds came by a pull since (from another peer): that is a
    // real value, and the marker is done with.
    if (const auto v = state.pulled_version(item); unlocked && *env_side == Side::local && v && r.local.exists &&
                                                   (v->digest == r.local.sha256 || v->canonical == r.local.canonical)) {
      unlocked = false;
      if (changing) state.set_env_skipped(item, std::nullopt);
    }
    if (unlocked && in.history) {
      const bool here = *env_side == Side::local;
      (here ? in.history->local : in.history->remote) = (here ? r.local : r.remote).sha256;
      (here ? in.history->remote : in.history->local).clear();
    }
    r.plan = plan_item(in);
    if (unlocked && in.history && r.plan.action != Action::none) {
      r.plan.reason += std::string(" (the FTLCONF_ variable that set it on the ") + side_name(*env_side) +
                       " node is gone; FTL's default there is not a change)";
    }
    if (sender_freshness_matters(in, r.plan)) {
      if (r.plan.action == Action::pull)
        in.remote_fresh = fresh_node(remote, *remote_state, remote_fresh);
      else
        in.local_fresh = fresh_node(local, *local_state, local_fresh);
      r.plan = plan_item(in);
    }
    if (auto why = not_synced(r, report.local_major, report.remote_major)) {
      r.plan = Planned{};
      r.plan.skip = true;
      r.plan.reason = *why;
      spdlog::warn("{}: {}", item_name(item), *why);
      if (changing && (!r.local.set_by_env.empty() || !r.remote.set_by_env.empty())) {
        state.set_env_skipped(item, r.local.set_by_env.empty() ? Side::remote : Side::local);
      }
    }
    if (r.plan.conflict && config.sync.conflict == ConflictPolicy::newer) warn_on_clock_skew(local, remote);
    any_push = any_push || (r.plan.refusal == ExitCode::ok && r.plan.action == Action::push);
    report.items.push_back(std::move(r));
  }

  std::unique_ptr<NodeLock> remote_lock;
  if (changing && any_push) {
    auto lock = remote.lock(options.lock_wait);
    if (!lock) return stopped(std::move(report), lock.error());
    remote_lock = std::move(*lock);
    remote.clean_stale();
  }

  Reload local_reload = Reload::none;
  Reload remote_reload = Reload::none;

  // Pending reloads (CONTRACT.md): a reload that failed after a swap is owed by that node
  // until it succeeds; its items stay failed meanwhile.
  auto side_of = [&](const Node& node) { return &node == &local ? Side::local : Side::remote; };
  auto mark_pending = [&](const PendingReload& p, Side side) {
    for (auto& r : report.items) {
      if (std::find(p.items.begin(), p.items.end(), r.item) == p.items.end() || r.outcome == Outcome::failed) continue;
      r.code = worse(r.code, ExitCode::failure);
      r.outcome = Outcome::failed;
      r.message = std::string("swapped in on the ") + side_name(side) + " node, but its reload has been pending since " +
                  format_local_time(p.since, "%Y-%m-%d %H:%M:%S") + ": " + p.error;
    }
  };
  // Note that `node` owes `level` (and a rebuild) for the items `installed_by` just put there.
  auto owe = [&](Node& node, Reload level, bool rebuild, Action installed_by, const Error& error) {
    std::vector<Item> installed;
    for (const auto& r : report.items) {
      if (r.plan.action == installed_by && r.outcome == Outcome::ok) installed.push_back(r.item);
    }
    state.owe_reload(side_of(node), level, rebuild, installed, error.message, report.time);
  };

  // One reload per side that changed, the lightest that applies all its changes. In
  // tables mode a node whose adlists changed rebuilds gravity instead (`pihole -g`
  // reloads the lists itself); a heavier reload still follows when other items need it.
  bool local_rebuilt = false, remote_rebuilt = false;  // `pihole -g` runs at most once per side
  auto reload_side = [&](Node& node, Reload level, Action installed_by) {
    bool& rebuilt = &node == &local ? local_rebuilt : remote_rebuilt;
    auto fail = [&](const std::string& what, const Error& error, bool only_rebuilt) {
      spdlog::error("{}: {} FAILED after the new files were swapped in; they stay in place: {}", node.name(), what,
                    error.message);
      for (auto& r : report.items) {
        if (r.plan.action == installed_by && r.outcome == Outcome::ok && (!only_rebuilt || r.rebuild)) {
          r.code = ExitCode::failure;
          r.outcome = Outcome::failed;
          r.message = "installed, but " + what + " failed: " + error.message;
        }
      }
    };
    bool rebuild = false;
    for (const auto& r : report.items) rebuild = rebuild || (r.plan.action == installed_by && r.rebuild);
    bool rebuild_failed = false;
    if (rebuild && !rebuilt) {
      rebuilt = true;
      if (auto st = node.rebuild_gravity(); !st) {
        // The new configuration is in place: still load it with the usual reload.
        owe(node, level, true, installed_by, st.error());
        fail("the gravity rebuild (pihole -g)", st.error(), true);
        rebuild_failed = true;
      } else {
        for (auto& r : report.items) {
          if (r.plan.action == installed_by && r.rebuild)
            r.message = "the adlists changed: gravity rebuilt (pihole -g)";
        }
        if (level == Reload::lists) level = Reload::none;  // pihole -g reloaded the lists
      }
    }
    if (level != Reload::none) {
      if (auto st = reload_when_ready(node, level, options.ftl_wait); !st) {
        owe(node, level, false, installed_by, st.error());
        fail("the Pi-hole reload", st.error(), false);
      } else if (auto p = state.pending_reload(side_of(node));
                 p && !rebuild_failed && !p->rebuild && heavier(p->level, level) == level) {
        state.clear_pending_reload(side_of(node));  // this reload applied what was owed too
      }
    }
    node.release_replaced(kReleaseWait);
  };

  // What a node owes is retried first, before anything new is swapped in there; compare
  // and a dry run only report it. Its items are marked once every item has run.
  std::vector<std::pair<PendingReload, Side>> still_owed;
  for (Node* node : {&local, &remote}) {
    const Side side = side_of(*node);
    auto p = state.pending_reload(side);
    if (!p) continue;
    if (!changing || (options.pushes_only && side == Side::local)) {
      report.deferred = report.deferred || changing;
      still_owed.emplace_back(*p, side);
      continue;
    }
    spdlog::info("{}: retrying the reload pending since {} ({})", node->name(), format_local_time(p->since, "%Y-%m-%d %H:%M:%S"),
                 reload_name(p->level));
    Status st = Status{};
    if (p->rebuild) {
      st = node->rebuild_gravity();
      if (st) {
        p->rebuild = false;                                  // done
        if (p->level == Reload::lists) p->level = Reload::none;  // pihole -g reloaded the lists
      }
    }
    if (st && p->level != Reload::none) st = reload_when_ready(*node, p->level, options.ftl_wait);
    if (st) {
      spdlog::info("{}: the pending reload succeeded", node->name());
      state.clear_pending_reload(side);
      continue;
    }
    p->error = st.error().message;
    state.set_pending_reload(side, *p);
    spdlog::error("{}: the pending reload failed again: {}", node->name(), p->error);
    still_owed.emplace_back(*p, side);
  }

  // An item that did not move: the error says why (an FTLCONF_ variable: skipped).
  auto failed = [&](ItemReport& r, const Error& e) {
    if (e.kind == ErrorKind::set_by_env) {
      r.outcome = Outcome::skipped;
      r.message = e.message;
      spdlog::warn("{}: skipped: {}", item_name(r.item), r.message);
      return;
    }
    r.code = e.code == ExitCode::refused ? ExitCode::refused : ExitCode::failure;
    r.outcome = Outcome::failed;
    r.message = e.message;
    spdlog::error("{}: {} failed{}: {}", item_name(r.item), action_name(r.plan.action),
                  e.kind == ErrorKind::maybe_changed ? "" : ", left as it was", r.message);
  };
  // An item now in place on its receiver, holding `digest` on both nodes.
  auto moved_in = [&](ItemReport& r, const std::string& digest) {
    const bool pull = r.plan.action == Action::pull;
    r.outcome = Outcome::ok;
    report.changed = true;
    state.set_history(r.item, {digest, digest});
    // Both forms of its digest: a later run with a peer of another Pi-hole version
    // compares the other one (a v5 file's bytes, a v6 value's records).
    if (pull && r.remote.changed_at) {
      state.set_pulled_version(r.item, {digest, r.remote.canonical, *r.remote.changed_at});
    }
    Reload& level = pull ? local_reload : remote_reload;
    level = heavier(level, reload_for(r.item, (pull ? local : remote).major_version()));
  };
  // v6 values checked and backed up by their receiver, set together by commit_values().
  struct Queued {
    ItemReport* r;
    std::string digest;
    bool done = false;  // commit_values() said what became of it
  };
  std::vector<Queued> queued;

  // Apply one planned item; the reload it needs is added to its side's level.
  auto apply = [&](ItemReport& r) {
    const Planned& p = r.plan;
    if (options.command == Command::compare) {
      std::tie(r.outcome, r.code) = compare_result(p);
      if (r.outcome == Outcome::conflict || r.outcome == Outcome::failed || p.skip) r.message = p.reason;
      return;
    }
    if (p.skip) {
      r.outcome = Outcome::skipped;
      r.message = p.reason;
      return;
    }
    if (options.pushes_only && changing && p.action == Action::pull && p.refusal == ExitCode::ok) {
      r.outcome = Outcome::skipped;
      r.message = "left for this peer's own run";
      report.deferred = true;
      return;
    }
    if (p.refusal != ExitCode::ok) {
      r.code = p.refusal;
      r.outcome = Outcome::failed;
      r.message = p.reason;
      spdlog::warn("{}: {}", item_name(r.item), p.reason);
      return;
    }
    if (p.action == Action::none) {
      r.outcome = Outcome::ok;
      if (r.local.exists && r.remote.exists && r.local.sha256 == r.remote.sha256 && changing) {
        state.set_history(r.item, {r.local.sha256, r.remote.sha256});
      }
      return;
    }
    if (options.dry_run) {
      // What the receiver would refuse (a CNAME loop, a line dnsmasq refuses) is refused
      // here too: a dry run ends with the real run's exit code (CONTRACT.md).
      if (r.item != Item::gravity) {
        if (auto st = (p.action == Action::pull ? remote : local).check_item(r.item); !st) {
          r.code = st.error().code == ExitCode::ok ? ExitCode::refused : st.error().code;
          r.outcome = Outcome::failed;
          r.message = st.error().message;
          spdlog::warn("{}: would refuse to {}: {}", item_name(r.item), action_name(p.action), r.message);
          return;
        }
      }
      r.outcome = Outcome::skipped;
      spdlog::info("{}: would {} ({})", item_name(r.item), action_name(p.action), p.reason);
      return;
    }
    spdlog::info("{}: {} ({})", item_name(r.item), action_name(p.action), p.reason);
    const bool pull = p.action == Action::pull;
    Node& receiver = pull ? local : remote;
    const StageOptions how{report.form, config.sync.gravity_mode == GravityMode::tables};
    auto moved =
        transfer(r.item, pull ? remote : local, receiver, !pull, pull ? r.remote : r.local, pull ? r.local : r.remote, how, r);
    if (!moved) {
      failed(r, moved.error());
      return;
    }
    if (moved->queued) {
      queued.push_back({&r, moved->digest});
      return;
    }
    moved_in(r, moved->digest);
  };

  // Pre-flight: nothing is swapped in on a node whose reload could not run afterwards.
  if (changing) {
    for (Node* node : {&local, &remote}) {
      if (node == &local && options.pushes_only) continue;  // nothing goes in here
      const Action into = node == &local ? Action::pull : Action::push;
      auto receives = [&](const ItemReport& r) { return r.plan.refusal == ExitCode::ok && r.plan.action == into; };
      if (std::none_of(report.items.begin(), report.items.end(), receives)) continue;
      if (auto st = node->reload_ready(); !st) {
        for (auto& r : report.items) {
          if (!receives(r)) continue;
          r.plan.refusal = st.error().code;
          r.plan.reason = st.error().message;
        }
      }
    }
  }

  // gravity first. On a v6 node its list reload is sent right away, before a CNAME or
  // static-DHCP value is set: such a value makes FTL restart itself, and a reload signal
  // that reaches FTL while it starts terminates it. v5 nodes get one reload at the end.
  for (auto& r : report.items) {
    if (r.item == Item::gravity) apply(r);
  }
  if (report.remote_major >= 6) {
    reload_side(remote, remote_reload, Action::push);
    remote_reload = Reload::none;
  }
  if (report.local_major >= 6) {
    reload_side(local, local_reload, Action::pull);
    local_reload = Reload::none;
  }
  // The v6 values each node receives are set together, so FTL restarts at most once there.
  if (changing) {
    local.begin_values();
    remote.begin_values();
  }
  for (auto& r : report.items) {
    if (r.item != Item::gravity) apply(r);
  }
  if (changing) {
    for (Node* node : {&local, &remote}) {
      for (const Committed& c : node->commit_values()) {
        for (Queued& q : queued) {
          if (q.r->item != c.item || (q.r->plan.action == Action::pull) != (node == &local)) continue;
          q.done = true;
          if (c.status) {
            moved_in(*q.r, q.digest);
            if (!c.ftl_down.empty()) {
              const Side side = side_of(*node);
              q.r->code = ExitCode::failure;
              q.r->outcome = Outcome::failed;
              q.r->message = "set and in place, but " + c.ftl_down + ": it is served once FTL runs";
              spdlog::error("{}: {}", item_name(q.r->item), q.r->message);
              state.owe_reload(side, Reload::dns, false, {q.r->item}, c.ftl_down, report.time);
            }
          } else {
            // Nothing was replaced: no backup of it to name.
            if (c.status.error().kind != ErrorKind::maybe_changed) q.r->backup.reset();
            failed(*q.r, c.status.error());
          }
        }
      }
    }
  }
  for (const Queued& q : queued) {
    if (!q.done) failed(*q.r, make_error(ExitCode::failure, "the value was checked and backed up but never set"));
  }
  reload_side(local, local_reload, Action::pull);
  reload_side(remote, remote_reload, Action::push);
  for (const auto& [p, side] : still_owed) {
    if (state.pending_reload(side)) mark_pending(p, side);  // unless this run's reload paid it
  }

  if (changing) {
    if (auto st = state.save(); !st) spdlog::warn("cannot record the sync state: {}", st.error().message);
  }
  ExitCode code = ExitCode::ok;
  for (const auto& r : report.items) code = worse(code, r.code);
  // A reload still owed fails the run, whichever items it ran for.
  for (Side side : {Side::local, Side::remote}) {
    if (auto p = state.pending_reload(side)) {
      code = worse(code, ExitCode::failure);
      report.owed.push_back(std::string("the ") + side_name(side) + " node's reload has been pending since " +
                            format_local_time(p->since, "%Y-%m-%d %H:%M:%S") + ": " + p->error);
    }
  }
  report.code = code;
  return report;
}

namespace {

Json side_json(const ItemState& s) {
  Json j = Json::object();
  j.set("exists", s.exists);
  j.set("sha256", s.exists && !s.sha256.empty() ? Json(s.sha256) : Json());
  j.set("size", s.exists ? Json(s.size) : Json());
  j.set("mtime", s.exists ? Json(s.mtime) : Json());
  if (!s.set_by_env.empty()) j.set("set_by_env", s.set_by_env);
  return j;
}

// Pi-hole's major version and the gravity schema of each node, as far as the run saw them.
struct NodeVersions {
  int major = 0;
  int schema = 0;
};

std::pair<NodeVersions, NodeVersions> versions(const RunReport& report) {
  std::pair<NodeVersions, NodeVersions> v{{report.local_major, 0}, {report.remote_major, 0}};
  for (const auto& r : report.items) {
    if (r.item != Item::gravity) continue;
    v.first.schema = r.local.schema_version;
    v.second.schema = r.remote.schema_version;
  }
  return v;
}

Json versions_json(const NodeVersions& v) {
  Json j = Json::object();
  j.set("pihole", v.major ? Json(v.major) : Json());
  j.set("gravity_schema", v.schema ? Json(v.schema) : Json());
  return j;
}

std::string versions_text(const char* name, const NodeVersions& v) {
  std::string out = std::string(name) + " Pi-hole v" + std::to_string(v.major);
  if (v.schema) out += " (gravity schema " + std::to_string(v.schema) + ")";
  return out;
}

}  // namespace

std::pair<Outcome, ExitCode> compare_result(const Planned& p) {
  if (p.skip) return {Outcome::skipped, ExitCode::ok};
  if (p.refusal == ExitCode::conflict) return {Outcome::conflict, ExitCode::differs};  // a difference
  if (p.refusal != ExitCode::ok) return {Outcome::failed, p.refusal};
  if (p.action == Action::none) return {Outcome::ok, ExitCode::ok};
  return {Outcome::skipped, ExitCode::differs};
}

std::pair<Outcome, ExitCode> dry_run_result(const Planned& p) {
  if (p.skip) return {Outcome::skipped, ExitCode::ok};
  if (p.refusal != ExitCode::ok) return {Outcome::failed, p.refusal};
  if (p.action == Action::none) return {Outcome::ok, ExitCode::ok};
  return {Outcome::skipped, ExitCode::ok};
}

bool pulled_here(const RunReport& report) {
  return std::any_of(report.items.begin(), report.items.end(), [](const ItemReport& r) {
    return r.plan.action == Action::pull && r.outcome == Outcome::ok;
  });
}

RunReport merge_runs(const RunReport& first, RunReport again) {
  auto moved = [](const ItemReport& f) { return f.plan.action != Action::none && f.outcome == Outcome::ok; };
  for (const auto& f : first.items) {
    if (!moved(f)) continue;
    auto it = std::find_if(again.items.begin(), again.items.end(), [&](const ItemReport& r) { return r.item == f.item; });
    if (it == again.items.end()) {
      again.items.push_back(f);  // the second run stopped before its items: what moved stays counted
    } else if (it->plan.action == Action::none && it->plan.refusal == ExitCode::ok && it->code == ExitCode::ok &&
               it->outcome == Outcome::ok) {
      *it = f;  // in sync because the first run moved it
    }
  }
  again.changed = again.changed || first.changed;
  return again;
}

std::string result_name(const ItemReport& r) {
  switch (r.outcome) {
    case Outcome::ok:
      return "ok";
    case Outcome::skipped:
      return "skipped";
    case Outcome::conflict:
      return "conflict";
    case Outcome::failed:
      return exit_code_reason(r.code);
  }
  return "skipped";
}

Json report_json(const RunReport& report) {
  Json doc = Json::object();
  if (report.command == Command::compare && !report.error) {
    bool in_sync = true;
    for (const auto& r : report.items) in_sync = in_sync && r.code == ExitCode::ok && r.plan.action == Action::none;
    doc.set("in_sync", in_sync);
  }
  Json items = Json::array();
  for (const auto& r : report.items) {
    Json j = Json::object();
    j.set("name", item_name(r.item));
    if (const FtlKey* key = r.item.ftl_setting()) j.set("key", std::string(key->key));
    j.set("local", side_json(r.local));
    j.set("remote", side_json(r.remote));
    j.set("action", action_name(r.plan.action));
    j.set("conflict", r.plan.conflict);
    if (report.command != Command::compare) {
      j.set("result", result_name(r));
      j.set("backup", r.backup);
      j.set("bytes", r.bytes);
      if (r.item == Item::gravity) j.set("rebuild", r.rebuild);
    }
    if (!r.message.empty() || !r.plan.reason.empty()) j.set("message", r.message.empty() ? r.plan.reason : r.message);
    items.push(j);
  }
  doc.set("items", items);
  if (report.local_major != 0) {
    auto [l, r] = versions(report);
    Json nodes = Json::object();
    nodes.set("local", versions_json(l));
    nodes.set("remote", versions_json(r));
    nodes.set("text_form", report.form == TextForm::records ? "records" : "bytes");
    doc.set("nodes", nodes);
  }
  if (report.error) {
    doc.set("error", error_json(*report.error));
  } else if (report.code != ExitCode::ok && report.code != ExitCode::differs) {
    std::string msg;
    for (const auto& r : report.items) {
      if (r.code == report.code) msg += (msg.empty() ? "" : "; ") + std::string(item_name(r.item)) + ": " + r.message;
    }
    // A reload owed for items this run did not cover says so itself.
    if (msg.empty()) {
      for (const auto& owed : report.owed) msg += (msg.empty() ? "" : "; ") + owed;
    }
    doc.set("error", error_json(Error{report.code, msg}));
  }
  return doc;
}

Json last_run_json(const RunReport& report) {
  Json doc = report_json(report);
  Json last = Json::object();
  last.set("time", report.time ? report.time : static_cast<int64_t>(std::time(nullptr)));
  last.set("command", command_name(report.command));
  last.set("exit_code", static_cast<int>(report.code));
  last.set("items", doc["items"]);
  if (!doc["error"].is_null()) last.set("error", doc["error"]);
  return last;
}

std::string report_text(const RunReport& report) {
  std::string out;
  if (report.command == Command::compare && report.local_major != 0) {
    auto [l, r] = versions(report);
    out += versions_text("local:", l) + "; " + versions_text("remote:", r) +
           (report.form == TextForm::records ? "; text items compared as records\n" : "\n");
  }
  if (report.items.empty()) return out;
  // One header row; compare says what sync would do, the others what was done.
  const bool compare = report.command == Command::compare;
  // The item column is as wide as its longest name (settings.KEY names are long).
  int width = 12;
  for (const auto& r : report.items) width = std::max(width, static_cast<int>(std::strlen(item_name(r.item))));
  auto row = [&](const std::string& item, const std::string& what, const std::string& detail) {
    out += item + std::string(static_cast<size_t>(width) + 1 - std::min(item.size(), static_cast<size_t>(width)), ' ');
    char line[64];
    std::snprintf(line, sizeof line, "%-22s ", what.c_str());
    out += line + detail + "\n";
  };
  row("ITEM", compare ? "SYNC WOULD" : "DONE", "DETAIL");
  for (const auto& r : report.items) {
    std::string detail = r.message.empty() ? r.plan.reason : r.message;
    if (r.backup) detail += " (backup " + *r.backup + ")";
    const char* direction = r.plan.action == Action::pull ? "pull (remote to local)"
                            : r.plan.action == Action::push ? "push (local to remote)"
                                                             : "";
    std::string what;
    if (compare) {
      if (r.code != ExitCode::ok && r.code != ExitCode::differs) {
        what = std::string(r.code == ExitCode::conflict ? "leave a conflict" : "refuse") + " (exit " +
               std::to_string(static_cast<int>(r.code)) + ")";
      } else {
        what = r.plan.skip ? "skip" : *direction ? direction : "nothing";
        if (detail.empty() && r.plan.action == Action::none) detail = "in sync";
      }
    } else if (r.plan.skip) {
      what = "skipped";
    } else if (r.plan.action == Action::none && r.code == ExitCode::ok) {
      what = "nothing";
      if (detail.empty()) detail = "in sync";
    } else {
      what = std::string(*direction ? std::string(r.plan.action == Action::pull ? "pull" : "push") : "nothing") + ": " +
             result_name(r);
    }
    row(item_name(r.item), what, detail);
  }
  // A run-level error is not repeated here: it is logged once, on stderr.
  return out;
}

}  // namespace gs
