// HMAC-SHA256, hex: how the data proxy signs its URLs and the notifier its
// webhooks' bodies.
#pragma once

#include <string>
#include <string_view>

namespace flytecpp::admin {

std::string HmacSha256Hex(std::string_view key, std::string_view message);

}  // namespace flytecpp::admin
