#include "signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "flytecpp/util/text.h"

namespace flytecpp::admin {

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &n);
  return HexOf(std::string_view(reinterpret_cast<const char*>(mac), n));
}

}  // namespace flytecpp::admin
