#include "gravity_sync/pihole/pihole_toml.hpp"

#include <algorithm>

#include <toml++/toml.h>

#include "gravity_sync/pihole/settings.hpp"
#include "gravity_sync/util/json.hpp"
#include "gravity_sync/util/shell.hpp"

namespace gs {

struct PiholeToml::Impl {
  toml::table table;
  std::string text;  // as parsed: set_by_env reads the comment FTL writes after a value
};

namespace {

// The most components a key or table header may have. FTL's deepest is 4
// ("webserver.api.temp.limit"); toml++ parses and frees dotted keys recursively, and a
// key of 100,000 components (a 200 KB file) overflows the stack. Its own limit (256)
// covers nested arrays and inline tables only.
constexpr int kMaxKeyDots = 64;

// The first line (1-based) holding more than kMaxKeyDots dots outside strings and
// comments — where a dotted key or table header nests deeper — or 0. Every TOML key sits
// on one line, so a line's dots bound its keys' depth (a float has one).
size_t line_too_deep(std::string_view text) {
  enum class In { code, comment, basic, literal, ml_basic, ml_literal };
  In in = In::code;
  size_t line = 1;
  int dots = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const std::string_view rest = text.substr(i);
    if (c == '\n') {
      ++line;
      dots = 0;
      if (in == In::comment || in == In::basic || in == In::literal) in = In::code;
      continue;
    }
    switch (in) {
      case In::code:
        if (c == '#') {
          in = In::comment;
        } else if (rest.substr(0, 3) == "\"\"\"") {
          in = In::ml_basic;
          i += 2;
        } else if (rest.substr(0, 3) == "'''") {
          in = In::ml_literal;
          i += 2;
        } else if (c == '"') {
          in = In::basic;
        } else if (c == '\'') {
          in = In::literal;
        } else if (c == '.' && ++dots > kMaxKeyDots) {
          return line;
        }
        break;
      case In::basic:
      case In::ml_basic:
        if (c == '\\') {
          if (i + 1 < text.size() && text[i + 1] != '\n') ++i;
        } else if (in == In::basic && c == '"') {
          in = In::code;
        } else if (in == In::ml_basic && rest.substr(0, 3) == "\"\"\"") {
          in = In::code;
          i += 2;
        }
        break;
      case In::literal:
        if (c == '\'') in = In::code;
        break;
      case In::ml_literal:
        if (rest.substr(0, 3) == "'''") {
          in = In::code;
          i += 2;
        }
        break;
      case In::comment:
        break;
    }
  }
  return 0;
}

}  // namespace

Result<PiholeToml> PiholeToml::parse(std::string_view text) {
  if (text.size() > kMaxPiholeToml) {
    return make_error(ExitCode::refused, "pihole.toml is larger than " + std::to_string(kMaxPiholeToml >> 20) + " MiB");
  }
  if (const size_t line = line_too_deep(text); line > 0) {
    return make_error(ExitCode::refused, "pihole.toml nests a key deeper than " + std::to_string(kMaxKeyDots) +
                                             " levels (line " + std::to_string(line) + "); not FTL's file");
  }
  PiholeToml out;
  try {
    auto impl = std::make_shared<Impl>();
    impl->table = toml::parse(text);
    impl->text = std::string(text);
    out.impl_ = std::move(impl);
  } catch (const toml::parse_error& e) {
    return make_error(ExitCode::refused, "pihole.toml is not valid TOML (line " +
                                             std::to_string(e.source().begin.line) +
                                             "): " + printable(e.description(), 200));
  } catch (const std::exception& e) {
    return make_error(ExitCode::refused, std::string("pihole.toml cannot be read: ") + printable(e.what(), 200));
  }
  return out;
}

Result<std::vector<std::string>> PiholeToml::string_array(std::string_view key) const {
  std::vector<std::string> out;
  if (!impl_) return out;
  const toml::node_view<const toml::node> node = impl_->table.at_path(key);
  if (!node) return out;
  const toml::array* array = node.as_array();
  if (!array) return make_error(ExitCode::refused, "pihole.toml: " + std::string(key) + " is not an array");
  for (size_t i = 0; i < array->size(); ++i) {
    const auto* s = array->get(i)->as_string();
    if (!s) {
      return make_error(ExitCode::refused,
                        "pihole.toml: " + std::string(key) + "[" + std::to_string(i) + "] is not a string");
    }
    if (!s->get().empty()) out.push_back(s->get());
  }
  return out;
}

std::string PiholeToml::string_or(std::string_view key, std::string_view fallback) const {
  if (!impl_) return std::string(fallback);
  const toml::node_view<const toml::node> node = impl_->table.at_path(key);
  if (const auto* s = node.as_string()) return s->get();
  return std::string(fallback);
}

Result<std::optional<std::string>> PiholeToml::setting(const FtlKey& key) const {
  if (!impl_) return std::optional<std::string>();
  const toml::node_view<const toml::node> node = impl_->table.at_path(key.key);
  if (!node) return std::optional<std::string>();
  const auto wrong = [&](const char* what) {
    return make_error(ExitCode::refused, "pihole.toml: " + std::string(key.key) + " is not " + what);
  };
  Json value;
  switch (key.type) {
    case FtlType::boolean:
      if (!node.is_boolean()) return wrong("true or false");
      value = Json(node.as_boolean()->get());
      break;
    case FtlType::int32:
    case FtlType::uint32:
    case FtlType::uint16:
    case FtlType::int64:
      if (!node.is_integer()) return wrong("a whole number");
      value = Json(node.as_integer()->get());
      break;
    case FtlType::string:
      if (!node.is_string()) return wrong("a string");
      value = Json(node.as_string()->get());
      break;
    case FtlType::enumeration:
      // FTL writes most as a string ("NULL"), misc.privacylevel as its number.
      if (node.is_integer()) {
        value = Json(node.as_integer()->get());
      } else if (node.is_string()) {
        value = Json(node.as_string()->get());
      } else {
        return wrong("one of its values");
      }
      break;
    case FtlType::string_array: {
      // All entries, empty ones too: this is FTL's value as it is, not records.
      const toml::array* array = node.as_array();
      if (!array) return wrong("an array");
      value = Json::array();
      for (const toml::node& entry : *array) {
        if (!entry.is_string()) return wrong("an array of strings");
        value.push(entry.as_string()->get());
      }
      break;
    }
    case FtlType::real:
    case FtlType::password:
      return wrong("of a kind gravity-sync carries");
  }
  auto canonical = canonical_setting(key, value.dump());
  if (!canonical) return canonical.error();
  return std::optional<std::string>(std::move(*canonical));
}

bool PiholeToml::set_by_env(std::string_view key) const {
  return mark_after(key).substr(0, 17) == "### CHANGED (env)";
}

bool PiholeToml::at_default(std::string_view key) const {
  if (!impl_ || !impl_->table.at_path(key)) return false;
  return mark_after(key).substr(0, 11) != "### CHANGED";
}

std::string_view PiholeToml::mark_after(std::string_view key) const {
  if (!impl_) return {};
  const toml::node_view<const toml::node> node = impl_->table.at_path(key);
  if (!node) return {};
  const toml::source_region& where = node.node()->source();
  // The marker follows the value, on the line where it ends.
  size_t line = 1, start = 0;
  const std::string& text = impl_->text;
  while (line < where.end.line && start < text.size()) {
    const size_t nl = text.find('\n', start);
    if (nl == std::string::npos) return {};
    start = nl + 1;
    ++line;
  }
  const size_t end = text.find('\n', start);
  std::string_view rest = std::string_view(text).substr(start, end == std::string::npos ? std::string::npos : end - start);
  // Right after the value (toml++'s end column is one past its last character), only
  // blanks, then FTL's mark: the same words inside a string or a later comment are not it.
  rest.remove_prefix(std::min(rest.size(), static_cast<size_t>(where.end.column > 0 ? where.end.column - 1 : 0)));
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  return rest;
}

}  // namespace gs
