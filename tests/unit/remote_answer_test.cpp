// Framed remote answers (remote_answer.hpp): what a login shell prints, what a payload
// holds and how the bytes arrive never change what the answer is.
#include "gravity_sync/node/remote_answer.hpp"

#include <gtest/gtest.h>

#include "gravity_sync/util/shell.hpp"

namespace gs {
namespace {

const std::string kNonce = "0123456789abcdef";
const std::string kMark = "=GS " + kNonce + " ";

// Feed `out` to a reader in pieces of `step` bytes; the answer and the payload bytes.
std::pair<RemoteAnswer, std::string> read_in_steps(const std::string& out, size_t step) {
  std::string payload;
  FrameReader reader(kNonce, [&](const char* data, size_t size) -> Status {
    payload.append(data, size);
    return {};
  });
  for (size_t i = 0; i < out.size(); i += step) {
    EXPECT_TRUE(reader.feed(out.data() + i, std::min(step, out.size() - i)).ok());
  }
  return {reader.finish(), payload};
}

TEST(RemoteAnswer, TheFrameAloneIsTheAnswerHoweverTheBytesArrive) {
  // A payload that imitates the frame's own marks and holds NUL bytes and no final newline.
  const std::string payload = std::string("a\0b\n", 4) + kMark + "END 0\n" + kMark + "ERR no\nlast";
  const std::string out = "Welcome to primary\nI custom-dns 0\n" + kMark + "BEGIN\nT 1700000000\n=GS ffff END 9\n" +
                          kMark + "DATA " + std::to_string(payload.size()) + "\n" + payload + "\nSHA abc\n" + kMark +
                          "END 0\nbye\n";
  for (size_t step : {out.size(), size_t{1}, size_t{2}, size_t{7}, size_t{64}}) {
    SCOPED_TRACE(step);
    auto [a, got] = read_in_steps(out, step);
    EXPECT_TRUE(a.began);
    EXPECT_TRUE(a.ended);
    EXPECT_EQ(a.exit_code, 0);
    EXPECT_EQ(got, payload);
    EXPECT_EQ(a.lines, (std::vector<std::string>{"T 1700000000", "=GS ffff END 9", "SHA abc"}));
    EXPECT_EQ(a.last("T "), "1700000000");
    EXPECT_EQ(a.last("I "), std::nullopt);  // the greeting's imitation is not an answer line
    EXPECT_NE(a.noise.find("Welcome to primary"), std::string::npos);
    EXPECT_NE(a.noise.find("bye"), std::string::npos);
    EXPECT_TRUE(a.error.empty());
  }
}

TEST(RemoteAnswer, FailuresAndCutShortAnswers) {
  struct Case {
    std::string out;
    bool began;
    bool ended;
    int code;
    std::string error;
  };
  const Case cases[] = {
      {kMark + "BEGIN\n" + kMark + "ERR cannot create \x1b[2Jx\n\n" + kMark + "END 66\n", true, true, 66,
       "cannot create ?[2Jx"},
      {kMark + "BEGIN\nI gravity 1 2 3 4\n", true, false, -1, ""},
      {"sudo: a password is required\n", false, false, -1, ""},
      {kMark + "BEGIN\n" + kMark + "END x\n", true, true, -1, ""},
      {kMark + "BEGIN\n" + kMark + "DATA 100\nshort", true, false, -1, ""},
  };
  for (const auto& c : cases) {
    auto [a, payload] = read_in_steps(c.out, 3);
    EXPECT_EQ(a.began, c.began) << c.out;
    EXPECT_EQ(a.ended, c.ended) << c.out;
    EXPECT_EQ(a.exit_code, c.code) << c.out;
    EXPECT_EQ(a.error, c.error) << c.out;
  }
}

TEST(RemoteAnswer, MemoryNeverGrowsWithWhatAPeerSends) {
  const std::string noise(FrameReader::kMaxNoise + 1, 'x');
  EXPECT_EQ(parse_answer(noise, kNonce).error().code, ExitCode::refused);
  EXPECT_EQ(parse_answer(noise + "\n", kNonce).error().code, ExitCode::refused);
  FrameReader small(kNonce, nullptr, 10);
  const std::string big = kMark + "BEGIN\n" + std::string(20, 'y') + "\n";
  EXPECT_FALSE(small.feed(big.data(), big.size()).ok());
  EXPECT_FALSE(parse_answer(kMark + "BEGIN\n" + kMark + "DATA -1\n", kNonce).ok());
}

TEST(RemoteAnswer, WordsNumbersAndHex) {
  EXPECT_EQ(split_words("  a b  c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rest_after("S gravity ~O table x y", 2), "~O table x y");
  EXPECT_EQ(rest_after("one", 2), "");
  EXPECT_EQ(to_number<int>("42"), 42);
  for (const char* bad : {"", "4x", "x", " 4", "99999999999999999999", "-"}) {
    EXPECT_EQ(to_number<int64_t>(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(*from_hex("41420a"), "AB\n");
  for (const char* bad : {"4", "4G", "41 ", "AB"}) EXPECT_FALSE(from_hex(bad).ok()) << bad;
}

TEST(RemoteAnswer, PeerTextIsShownWithoutControlCharacters) {
  struct Case {
    std::string in;
    std::string shown;
  };
  const Case cases[] = {
      {"plain text", "plain text"},
      {"a\x1b]0;title\x07z", "a?]0;title?z"},
      {"csi \xc2\x9b" "31m", "csi ?" "?31m"},       // C1 CSI as UTF-8
      {"raw \x9b" "2J", "raw ?2J"},                 // C1 CSI as a lone byte
      {"caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93"},
      {"bad \xe2\x9c", "bad ??"},
      {"over\xc0\xaflong", "over??long"},
      {"del\x7f", "del?"},
  };
  for (const auto& c : cases) EXPECT_EQ(printable(c.in, 200), c.shown) << c.in;
  EXPECT_EQ(printable("abcdef", 3), "abc");
}

}  // namespace
}  // namespace gs
