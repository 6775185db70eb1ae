// Issue 7 (part): hooks and the Prometheus textfile, through the real binary.
#include <chrono>
#include <sys/stat.h>
#include <thread>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace gs::test {
namespace {

using namespace std::chrono_literals;

class Observe : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(lab.run({"sync"}).code, 0);
    success_file = lab.dir() + "/on_success.env";
    failure_file = lab.dir() + "/on_failure.env";
    metrics = lab.dir() + "/metrics/gravity_sync.prom";
    ::mkdir((lab.dir() + "/metrics").c_str(), 0755);
  }
  void configure(const std::string& extra_hooks = "") {
    lab.set_config(lab.config_text() + "hooks:\n  on_success: \"env | grep ^GRAVITY_SYNC_ | sort > " + success_file +
                   "\"\n  on_failure: \"env | grep ^GRAVITY_SYNC_ | sort >> " + failure_file + "\"\n" + extra_hooks +
                   "metrics:\n  textfile: " + metrics + "\n");
  }
  Lab lab;
  std::string success_file, failure_file, metrics;
};

TEST_F(Observe, HooksRunWithTheOutcomeInTheirEnvironment) {
  configure();
  write_text(lab.custom_list("primary"), "10.0.0.1 hooked.lan\n");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  const std::string env = read_text(success_file);
  EXPECT_NE(env.find("GRAVITY_SYNC_COMMAND=sync\n"), std::string::npos) << env;
  EXPECT_NE(env.find("GRAVITY_SYNC_EXIT_CODE=0\n"), std::string::npos) << env;
  EXPECT_NE(env.find("GRAVITY_SYNC_RESULT=ok\n"), std::string::npos) << env;
  EXPECT_NE(env.find("GRAVITY_SYNC_CHANGED=custom-dns:pull\n"), std::string::npos) << env;
  EXPECT_NE(env.find("GRAVITY_SYNC_REMOTE=127.0.0.1:"), std::string::npos) << env;
  EXPECT_NE(env.find("GRAVITY_SYNC_PEER=127.0.0.1\n"), std::string::npos) << env;
  EXPECT_EQ(read_text(failure_file), "");

  // A run that changes nothing runs no hook.
  ::unlink(success_file.c_str());
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  EXPECT_EQ(read_text(success_file), "");

  // A refused item runs on_failure.
  write_text(lab.cname("primary"), "cname=a.lan,b.lan\ndhcp-script=/tmp/x\n");
  EXPECT_EQ(lab.run({"sync"}).code, 5);
  const std::string fail_env = read_text(failure_file);
  EXPECT_NE(fail_env.find("GRAVITY_SYNC_EXIT_CODE=5\n"), std::string::npos) << fail_env;
  EXPECT_NE(fail_env.find("GRAVITY_SYNC_RESULT=refused\n"), std::string::npos) << fail_env;
  EXPECT_NE(fail_env.find("GRAVITY_SYNC_MESSAGE=cname: "), std::string::npos) << fail_env;
}

TEST_F(Observe, AFailingOrHangingHookIsLoggedNeverFatal) {
  lab.set_config(lab.config_text() + "hooks:\n  on_success: \"echo boom >&2; exit 3\"\n  on_failure: \"sleep 30\"\n"
                                     "  timeout: 1s\n");
  write_text(lab.custom_list("primary"), "10.0.0.1 a.lan\n");
  auto ok = lab.run({"sync"});
  EXPECT_EQ(ok.code, 0);
  EXPECT_NE(ok.err.find("exited 3: boom"), std::string::npos) << ok.err;
  lab.script({"sshd-stop"});
  const auto start = std::chrono::steady_clock::now();
  auto down = lab.run({"sync"});
  EXPECT_EQ(down.code, 3);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  EXPECT_NE(down.err.find("was stopped after 1s"), std::string::npos) << down.err;
}

TEST_F(Observe, TheMetricsTextfileAfterASuccessAndAFailure) {
  configure();
  sqlite(lab.gravity("primary"), "INSERT INTO domainlist (type, domain) VALUES (1, 'metrics.example');");
  write_text(lab.cname("secondary"), "cname=m.lan,nas.lan\n");
  ASSERT_EQ(lab.run({"sync"}).code, 0);
  std::string prom = read_text(metrics);
  EXPECT_NE(prom.find("# TYPE gravity_sync_syncs_total counter\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("gravity_sync_syncs_total{peer=\"127.0.0.1\",item=\"gravity\",direction=\"pull\"} 1\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("gravity_sync_syncs_total{peer=\"127.0.0.1\",item=\"cname\",direction=\"push\"} 1\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("gravity_sync_bytes_total{peer=\"127.0.0.1\",item=\"gravity\",direction=\"pull\"} "), std::string::npos) << prom;
  EXPECT_NE(prom.find("gravity_sync_last_exit_code{peer=\"127.0.0.1\"} 0\n"), std::string::npos) << prom;
  EXPECT_EQ(prom.find("gravity_sync_last_success_timestamp_seconds{peer=\"127.0.0.1\"} 0\n"), std::string::npos) << prom;
  EXPECT_EQ(prom.find("gravity_sync_failures_total{"), std::string::npos) << prom;

  lab.script({"sshd-stop"});
  EXPECT_EQ(lab.run({"sync"}).code, 3);
  EXPECT_EQ(lab.run({"sync"}).code, 3);
  prom = read_text(metrics);
  EXPECT_NE(prom.find("gravity_sync_failures_total{peer=\"127.0.0.1\",code=\"3\"} 2\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("gravity_sync_last_exit_code{peer=\"127.0.0.1\"} 3\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("gravity_sync_syncs_total{peer=\"127.0.0.1\",item=\"gravity\",direction=\"pull\"} 1\n"), std::string::npos)
      << "counters survive between runs\n" << prom;
}

}  // namespace
}  // namespace gs::test
