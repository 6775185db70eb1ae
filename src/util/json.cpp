#include "gravity_sync/util/json.hpp"

#include <charconv>

#include <cctype>
#include <cstdio>

namespace gs {

namespace {

void dump_string(const std::string& s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}

  std::optional<Json> parse_all() {
    auto v = value();
    ws();
    if (!v || i_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(const char* word) {
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(i_, n, word) != 0) return false;
    i_ += n;
    return true;
  }
  std::optional<std::string> string() {
    if (i_ >= s_.size() || s_[i_] != '"') return std::nullopt;
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return std::nullopt;
      char e = s_[i_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          // RFC 8259 7: a code point outside the BMP is a UTF-16 surrogate pair.
          auto code = hex4();
          if (!code) return std::nullopt;
          if (*code >= 0xD800 && *code <= 0xDBFF) {
            if (i_ + 2 > s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u') return std::nullopt;
            i_ += 2;
            auto low = hex4();
            if (!low || *low < 0xDC00 || *low > 0xDFFF) return std::nullopt;
            *code = 0x10000 + ((*code - 0xD800) << 10) + (*low - 0xDC00);
          } else if (*code >= 0xDC00 && *code <= 0xDFFF) {
            return std::nullopt;  // a low surrogate on its own
          }
          append_utf8(out, *code);
          break;
        }
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        default:
          return std::nullopt;
      }
    }
    if (i_ >= s_.size()) return std::nullopt;
    ++i_;
    return out;
  }
  // Four hex digits at the cursor, consumed; nullopt when they are not.
  std::optional<unsigned> hex4() {
    if (i_ + 4 > s_.size()) return std::nullopt;
    unsigned code = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[i_++];
      code <<= 4;
      if (h >= '0' && h <= '9')
        code |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f')
        code |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        code |= static_cast<unsigned>(h - 'A' + 10);
      else
        return std::nullopt;
    }
    return code;
  }
  static void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }
  // Nesting deeper than this is refused: a parser must not recurse on a peer's say-so.
  static constexpr int kMaxDepth = 64;

  std::optional<Json> value() {
    if (++depth_ > kMaxDepth) return std::nullopt;
    auto v = value_at_depth();
    --depth_;
    return v;
  }

  std::optional<Json> value_at_depth() {
    ws();
    if (i_ >= s_.size()) return std::nullopt;
    char c = s_[i_];
    if (c == '{') {
      ++i_;
      Json obj = Json::object();
      ws();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return obj;
      }
      for (;;) {
        ws();
        auto key = string();
        if (!key) return std::nullopt;
        ws();
        if (!eat(":")) return std::nullopt;
        auto v = value();
        if (!v) return std::nullopt;
        obj.set(*key, std::move(*v));
        ws();
        if (eat(",")) continue;
        if (eat("}")) return obj;
        return std::nullopt;
      }
    }
    if (c == '[') {
      ++i_;
      Json arr = Json::array();
      ws();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return arr;
      }
      for (;;) {
        auto v = value();
        if (!v) return std::nullopt;
        arr.push(std::move(*v));
        ws();
        if (eat(",")) continue;
        if (eat("]")) return arr;
        return std::nullopt;
      }
    }
    if (c == '"') {
      auto s = string();
      if (!s) return std::nullopt;
      return Json(*s);
    }
    if (eat("true")) return Json(true);
    if (eat("false")) return Json(false);
    if (eat("null")) return Json();
    size_t start = i_;
    if (s_[i_] == '-') ++i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.' || s_[i_] == 'e' ||
                              s_[i_] == 'E' || s_[i_] == '+' || s_[i_] == '-')) {
      ++i_;
    }
    if (start == i_) return std::nullopt;
    const char* first = s_.data() + start;
    const char* last = s_.data() + i_;
    int64_t n = 0;
    if (auto [p, ec] = std::from_chars(first, last, n); ec == std::errc() && p == last) return Json(n);
    // Not an integer: kept as its integral part (gravity-sync reads only integers).
    double d = 0;
    if (auto [p, ec] = std::from_chars(first, last, d); ec == std::errc() && p == last && d > -9.2e18 && d < 9.2e18) {
      return Json(static_cast<int64_t>(d));
    }
    return std::nullopt;
  }

  const std::string& s_;
  size_t i_ = 0;
  int depth_ = 0;
};

const Json& null_json() {
  static const Json null;
  return null;
}

}  // namespace

Json& Json::set(const std::string& key, Json value) {
  if (!is_object()) value_ = Object{};
  auto& obj = std::get<Object>(value_);
  for (auto& [k, v] : obj) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  obj.emplace_back(key, std::move(value));
  return *this;
}

Json& Json::push(Json value) {
  if (!is_array()) value_ = Array{};
  std::get<Array>(value_).push_back(std::move(value));
  return *this;
}

const Json& Json::operator[](const std::string& key) const {
  if (!is_object()) return null_json();
  for (const auto& [k, v] : std::get<Object>(value_)) {
    if (k == key) return v;
  }
  return null_json();
}

const Json::Array& Json::items() const {
  static const Array empty;
  return is_array() ? std::get<Array>(value_) : empty;
}

const Json::Object& Json::members() const {
  static const Object empty;
  return is_object() ? std::get<Object>(value_) : empty;
}

std::string Json::as_string() const {
  if (auto s = std::get_if<std::string>(&value_)) return *s;
  if (auto n = std::get_if<int64_t>(&value_)) return std::to_string(*n);
  return "";
}

int64_t Json::as_int() const {
  if (auto n = std::get_if<int64_t>(&value_)) return *n;
  return 0;
}

bool Json::as_bool() const {
  if (auto b = std::get_if<bool>(&value_)) return *b;
  return false;
}

std::string Json::dump() const {
  std::string out;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out += "null";
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          out += std::to_string(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          dump_string(v, out);
        } else if constexpr (std::is_same_v<T, Array>) {
          out += '[';
          for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i].dump();
          out += ']';
        } else {
          out += '{';
          for (size_t i = 0; i < v.size(); ++i) {
            if (i) out += ", ";
            dump_string(v[i].first, out);
            out += ": " + v[i].second.dump();
          }
          out += '}';
        }
      },
      value_);
  return out;
}

std::optional<Json> Json::parse(const std::string& text) { return Parser(text).parse_all(); }

Json error_json(const Error& error) {
  Json e = Json::object();
  e.set("code", static_cast<int>(error.code));
  e.set("message", error.message);
  return e;
}

}  // namespace gs
