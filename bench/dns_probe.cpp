// dns_probe: a DNS client that asks one name every few milliseconds and records every
// answer, for measuring how a Pi-hole node answers while it is being synced.
//
//   dns_probe PORT NAME DURATION_MS [INTERVAL_MS=10] [TIMEOUT_MS=1000]
//
// Sends an A query for NAME to 127.0.0.1:PORT over UDP every INTERVAL_MS for DURATION_MS,
// and prints one line per query when it is done:
//
//   SENT_MS LATENCY_MS STATUS ANSWER
//
// SENT_MS is the wall clock (ms since the epoch) the query left, LATENCY_MS the time to
// its answer (-1: no answer within TIMEOUT_MS), STATUS the DNS RCODE name (NOERROR,
// NXDOMAIN, SERVFAIL, REFUSED, ...) or TIMEOUT, ANSWER the last A record of the answer
// (the address a CNAME chain ends at) or "-". Used by bench/availability; not installed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Query {
  int64_t sent_wall_ms = 0;
  Clock::time_point sent;
  double latency_ms = -1;
  int rcode = -1;
  std::string answer = "-";
};

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<uint8_t> make_query(uint16_t id, const std::string& name) {
  std::vector<uint8_t> q = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  q.push_back(0);
  q.insert(q.end(), {0, 1, 0, 1});  // A, IN
  return q;
}

// Skip a (possibly compressed) name at `pos`; false when malformed.
bool skip_name(const uint8_t* p, size_t n, size_t& pos) {
  while (pos < n) {
    const uint8_t len = p[pos];
    if (len == 0) {
      ++pos;
      return true;
    }
    if ((len & 0xc0) == 0xc0) {
      pos += 2;
      return pos <= n;
    }
    pos += 1 + len;
  }
  return false;
}

// The RCODE and the last A record of a response.
void parse_answer(const uint8_t* p, size_t n, int& rcode, std::string& answer) {
  if (n < 12) return;
  rcode = p[3] & 0x0f;
  const int qd = (p[4] << 8) | p[5];
  const int an = (p[6] << 8) | p[7];
  size_t pos = 12;
  for (int i = 0; i < qd; ++i) {
    if (!skip_name(p, n, pos)) return;
    pos += 4;
  }
  for (int i = 0; i < an && pos < n; ++i) {
    if (!skip_name(p, n, pos) || pos + 10 > n) return;
    const int type = (p[pos] << 8) | p[pos + 1];
    const int len = (p[pos + 8] << 8) | p[pos + 9];
    pos += 10;
    if (pos + static_cast<size_t>(len) > n) return;
    if (type == 1 && len == 4) {
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, p + pos, buf, sizeof buf);
      answer = buf;
    }
    pos += static_cast<size_t>(len);
  }
}

const char* rcode_name(int rcode) {
  switch (rcode) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    default: return "TIMEOUT";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: dns_probe PORT NAME DURATION_MS [INTERVAL_MS] [TIMEOUT_MS]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::string name = argv[2];
  const auto duration = std::chrono::milliseconds(std::atol(argv[3]));
  const auto interval = std::chrono::milliseconds(argc > 4 ? std::atol(argv[4]) : 10);
  const auto timeout = std::chrono::milliseconds(argc > 5 ? std::atol(argv[5]) : 1000);

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 1;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return 1;

  std::vector<Query> queries;
  const auto start = Clock::now();
  auto next = start;
  for (;;) {
    const auto now = Clock::now();
    if (now >= next && now - start < duration) {
      Query q;
      q.sent = now;
      q.sent_wall_ms = wall_ms();
      const auto packet = make_query(static_cast<uint16_t>(queries.size() & 0xffff), name);
      (void)::send(fd, packet.data(), packet.size(), 0);  // a refused send is an unanswered query
      queries.push_back(q);
      next += interval;
    }
    if (now - start >= duration + timeout) break;
    pollfd pfd{fd, POLLIN, 0};
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
    if (::poll(&pfd, 1, static_cast<int>(wait > 0 ? wait : 0)) > 0) {
      uint8_t buf[1500];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n >= 12) {
        const size_t id = (static_cast<size_t>(buf[0]) << 8) | buf[1];
        // Ids wrap at 65536; the newest query with this id is the one answered.
        for (size_t i = id; i < queries.size(); i += 65536) {
          if (i + 65536 >= queries.size() && queries[i].rcode < 0) {
            Query& q = queries[i];
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - q.sent).count();
            if (ms <= static_cast<double>(timeout.count())) {
              q.latency_ms = ms;
              parse_answer(buf, static_cast<size_t>(n), q.rcode, q.answer);
            }
          }
        }
      }
    }
  }
  for (const auto& q : queries) {
    std::printf("%lld %.1f %s %s\n", static_cast<long long>(q.sent_wall_ms), q.latency_ms,
                q.latency_ms < 0 ? "TIMEOUT" : rcode_name(q.rcode), q.answer.c_str());
  }
  ::close(fd);
  return 0;
}
