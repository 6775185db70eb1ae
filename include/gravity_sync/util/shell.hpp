#pragma once

#include <string>
#include <string_view>

namespace gs {

// Quote `word` for a POSIX shell: wrap in single quotes, escaping embedded ones.
std::string shell_quote(std::string_view word);

// True when `text` holds a control character (below 0x20, or 0x7f), including newlines.
bool has_control_chars(std::string_view text);

}  // namespace gs
