#include <gtest/gtest.h>

#include "gravity_sync/pihole/ftl_status.hpp"

namespace gs {
namespace {

TEST(FtlStatus, ThePidFileAsEachVersionConfiguresIt) {
  EXPECT_EQ(ftl_pid_file(6, "[files]\n  pid = \"/run/pihole/pihole-FTL.pid\"\n", ""), "/run/pihole/pihole-FTL.pid");
  EXPECT_EQ(ftl_pid_file(6, "[dns]\n  port = 53\n", ""), "/run/pihole-FTL.pid");
  EXPECT_EQ(ftl_pid_file(6, "not toml [", ""), "/run/pihole-FTL.pid");
  EXPECT_EQ(ftl_pid_file(5, "", "LOGFILE=/x\nPIDFILE=/run/pihole/pihole-FTL.pid\n"), "/run/pihole/pihole-FTL.pid");
  EXPECT_EQ(ftl_pid_file(5, "", "#PIDFILE=/nope\n"), "/run/pihole-FTL.pid");
}

TEST(FtlStatus, SigrtminFromFtlOrGlibcs) {
  EXPECT_EQ(ftl_sigrtmin(6, "35\n"), 35);
  EXPECT_EQ(ftl_sigrtmin(6, ""), 34);
  EXPECT_EQ(ftl_sigrtmin(6, "banner\n34"), 34);
  EXPECT_EQ(ftl_sigrtmin(6, "999"), 34);
  EXPECT_EQ(ftl_sigrtmin(5, "35"), 34);
}

TEST(FtlStatus, TheAnswerIsParsedTotally) {
  struct Case {
    const char* out;
    FtlState state;
    long pid;
  };
  const Case cases[] = {
      {"READY 1234\n", FtlState::ready, 1234},
      {"Welcome to the host!\nREADY 99\n", FtlState::ready, 99},
      {"STARTING 77", FtlState::starting, 77},
      {"NOTRUNNING no PID file /run/pihole-FTL.pid\n", FtlState::not_running, 0},
      {"READY ", FtlState::not_running, 0},
      {"READY 12x", FtlState::not_running, 0},
      {"READY 99999999999999999999999", FtlState::not_running, 0},
      {"", FtlState::not_running, 0},
      {"lua: not found", FtlState::not_running, 0},
  };
  for (const auto& c : cases) {
    const FtlStatus s = parse_ftl_status(c.out);
    EXPECT_EQ(s.state, c.state) << c.out;
    EXPECT_EQ(s.pid, c.pid) << c.out;
    if (s.state != FtlState::ready) {
      EXPECT_FALSE(s.detail.empty()) << c.out;
    }
  }
}

TEST(FtlStatus, TheLuaProgramTakesItsInputAsArguments) {
  // Never as code: the PID file path comes from a file the pihole user may write.
  const auto args = ftl_status_args("/run/x\"); os.execute(\"id", 35);
  ASSERT_EQ(args.size(), 6u);
  EXPECT_EQ(args[0], "lua");
  EXPECT_EQ(args[1], "-e");
  EXPECT_EQ(args[2].find("/run/x"), std::string::npos);
  EXPECT_EQ(args[4], "/run/x\"); os.execute(\"id");
  EXPECT_EQ(args[5], "35");
}

}  // namespace
}  // namespace gs
