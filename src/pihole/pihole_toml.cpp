#include "gravity_sync/pihole/pihole_toml.hpp"

#include <toml++/toml.h>

#include "gravity_sync/util/shell.hpp"

namespace gs {

struct PiholeToml::Impl {
  toml::table table;
};

Result<PiholeToml> PiholeToml::parse(std::string_view text) {
  if (text.size() > kMaxPiholeToml) {
    return make_error(ExitCode::refused, "pihole.toml is larger than " + std::to_string(kMaxPiholeToml >> 20) + " MiB");
  }
  PiholeToml out;
  try {
    auto impl = std::make_shared<Impl>();
    impl->table = toml::parse(text);
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

}  // namespace gs
