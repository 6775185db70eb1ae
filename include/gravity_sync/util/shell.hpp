#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gs {

// Quote `word` for a POSIX shell: wrap in single quotes, escaping embedded ones.
std::string shell_quote(std::string_view word);

// `word` as an admin would type it in a command we show: as it is when it holds only
// letters, digits and / . _ - : @ + = , (and is not empty), shell-quoted otherwise.
std::string shell_word(std::string_view word);

// `words` shell-quoted and joined with spaces: a command line for `sh`.
std::string shell_join(const std::vector<std::string>& words);

// `words` joined with spaces, unquoted: a command as shown in messages.
std::string join_args(const std::vector<std::string>& words);

// At most `max` bytes of `text` with every control character (C0, DEL and C1) and every
// byte of malformed UTF-8 shown as '?': safe to put a peer's text into a one-line message,
// a log or a terminal.
std::string printable(std::string_view text, size_t max);

// True when `text` holds a control character (below 0x20, or 0x7f), including newlines.
bool has_control_chars(std::string_view text);

}  // namespace gs
