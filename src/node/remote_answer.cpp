#include "gravity_sync/node/remote_answer.hpp"

#include <algorithm>
#include <cstring>

#include "gravity_sync/util/bytes.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

std::optional<std::string> RemoteAnswer::last(std::string_view prefix) const {
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (std::string_view(*it).substr(0, prefix.size()) == prefix) return it->substr(prefix.size());
  }
  return std::nullopt;
}

std::vector<std::string> RemoteAnswer::all(std::string_view prefix) const {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    if (std::string_view(line).substr(0, prefix.size()) == prefix) out.push_back(line.substr(prefix.size()));
  }
  return out;
}

FrameReader::FrameReader(std::string nonce, DataSink payload, size_t max_answer)
    : begin_("=GS " + nonce + " BEGIN"), mark_("=GS " + nonce + " "), payload_(std::move(payload)),
      max_answer_(max_answer) {}

Status FrameReader::feed(const char* data, size_t size) {
  while (size > 0) {
    if (state_ == State::payload) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(payload_left_, size));
      if (payload_) {
        if (auto st = payload_(data, n); !st) return st;
      }
      answer_.payload_bytes += n;
      payload_left_ -= n;
      data += n;
      size -= n;
      if (payload_left_ == 0) {
        state_ = State::body;
        after_payload_ = true;
      }
      continue;
    }
    if (after_payload_) {
      // The newline `data` prints after a payload ends it; it is not an empty line.
      after_payload_ = false;
      if (*data == '\n') {
        ++data;
        --size;
        continue;
      }
    }
    if (state_ == State::after) {
      // What the remote shell printed after the script (a logout script, say).
      if (noise_raw_.size() < 256) noise_raw_.append(data, std::min<size_t>(size, 256 - noise_raw_.size()));
      noise_bytes_ += size;
      if (noise_bytes_ > kMaxNoise) return make_error(ExitCode::refused, "the remote printed too much after its answer");
      return {};
    }
    const char* nl = static_cast<const char*>(std::memchr(data, '\n', size));
    const size_t take = nl ? static_cast<size_t>(nl - data) : size;
    if (pending_.size() + take > (state_ == State::before ? kMaxNoise : kMaxLine)) {
      return make_error(ExitCode::refused, state_ == State::before
                                               ? "the remote printed more than 64 KiB before its answer began"
                                               : "the remote answered with a line longer than 32 MiB");
    }
    pending_.append(data, take);
    data += take;
    size -= take;
    if (!nl) break;
    ++data;
    --size;
    std::string line = std::move(pending_);
    pending_.clear();
    if (auto st = take_line(line); !st) return st;
  }
  return {};
}

Status FrameReader::take_line(std::string_view line) {
  if (state_ == State::before) {
    if (line == begin_) {
      state_ = State::body;
      answer_.began = true;
      return {};
    }
    // Before the frame: what a login script printed, say. Never part of the answer.
    if (noise_raw_.size() < 256) {
      noise_raw_.append(line.substr(0, 256 - noise_raw_.size()));
      noise_raw_.push_back('\n');
    }
    noise_bytes_ += line.size() + 1;
    if (noise_bytes_ > kMaxNoise) return make_error(ExitCode::refused, "the remote printed too much before its answer");
    return {};
  }
  const std::string_view mark(mark_);
  if (line.substr(0, mark.size()) == mark) {
    const std::string_view rest = line.substr(mark.size());
    if (rest.substr(0, 4) == "END ") {
      const auto code = to_number<int>(rest.substr(4));
      answer_.exit_code = code ? *code : -1;
      answer_.ended = true;
      // The END mark follows a newline of its own: the empty line before it is the frame's.
      if (!answer_.lines.empty() && answer_.lines.back().empty()) answer_.lines.pop_back();
      state_ = State::after;
      return {};
    }
    if (rest.substr(0, 5) == "DATA ") {
      const auto n = to_number<uint64_t>(rest.substr(5));
      if (!n) return make_error(ExitCode::refused, "the remote announced a payload of no size");
      payload_left_ = *n;
      if (payload_left_ > 0) {
        state_ = State::payload;
      } else {
        after_payload_ = true;
      }
      return {};
    }
    if (rest.substr(0, 4) == "ERR ") {
      answer_.error = printable(rest.substr(4), 400);
      return {};
    }
  }
  answer_bytes_ += line.size() + 1;
  if (answer_bytes_ > max_answer_) return make_error(ExitCode::refused, "the remote's answer is too large");
  answer_.lines.emplace_back(line);
  return {};
}

RemoteAnswer FrameReader::finish() {
  if (!pending_.empty() && state_ == State::before) noise_raw_.append(pending_.substr(0, 256));
  answer_.noise = printable(noise_raw_, 200);
  return std::move(answer_);
}

std::string new_nonce() { return random_hex(8); }

Result<RemoteAnswer> parse_answer(std::string_view out, const std::string& nonce) {
  FrameReader reader(nonce);
  if (auto st = reader.feed(out.data(), out.size()); !st) return st.error();
  return reader.finish();
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    if (pos == line.size()) break;
    const size_t end = std::min(line.find(' ', pos), line.size());
    out.emplace_back(line.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::string rest_after(std::string_view line, size_t words) {
  size_t pos = 0;
  for (size_t i = 0; i < words; ++i) {
    pos = line.find(' ', pos);
    if (pos == std::string_view::npos) return "";
    ++pos;
  }
  return std::string(line.substr(pos));
}

Result<std::string> from_hex(std::string_view hex) {
  auto bytes = hex_decode(hex, HexCase::lower);
  if (!bytes) return make_error(ExitCode::failure, "malformed hex in the remote answer");
  return std::move(*bytes);
}

}  // namespace gs
