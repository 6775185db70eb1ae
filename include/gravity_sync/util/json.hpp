#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "gravity_sync/util/error.hpp"

namespace gs {

// A small JSON value: enough for our reports and state files. Objects keep key order.
class Json {
 public:
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : value_(b) {}
  Json(int n) : value_(static_cast<int64_t>(n)) {}
  Json(int64_t n) : value_(n) {}
  Json(uint64_t n) : value_(static_cast<int64_t>(n)) {}
  Json(const char* s) : value_(std::string(s)) {}
  Json(std::string s) : value_(std::move(s)) {}
  Json(Array a) : value_(std::move(a)) {}
  Json(Object o) : value_(std::move(o)) {}
  template <typename T>
  Json(const std::optional<T>& o) {
    if (o) *this = Json(*o);
  }

  static Json object() { return Json(Object{}); }
  static Json array() { return Json(Array{}); }

  // Set `key` on an object (appends; replaces an existing key).
  Json& set(const std::string& key, Json value);
  // Append to an array.
  Json& push(Json value);

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  bool is_object() const { return std::holds_alternative<Object>(value_); }
  bool is_array() const { return std::holds_alternative<Array>(value_); }
  bool is_string() const { return std::holds_alternative<std::string>(value_); }
  bool is_bool() const { return std::holds_alternative<bool>(value_); }
  bool is_int() const { return std::holds_alternative<int64_t>(value_); }
  // The member `key` of an object, or a null value.
  const Json& operator[](const std::string& key) const;
  const Array& items() const;
  // The members of an object, in order (none for another value).
  const Object& members() const;
  std::string as_string() const;
  int64_t as_int() const;
  bool as_bool() const;

  // Serialise on one line.
  std::string dump() const;
  // Parse `text`; nullopt when it is not JSON.
  static std::optional<Json> parse(const std::string& text);

 private:
  std::variant<std::monostate, bool, int64_t, std::string, Array, Object> value_;
};

// The contract's `error` object: {"code": the exit code, "message"}.
Json error_json(const Error& error);

}  // namespace gs
