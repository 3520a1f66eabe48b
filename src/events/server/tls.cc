#include "events/server/tls.h"

#include <openssl/ssl.h>

namespace vigie::events {

namespace ssl = boost::asio::ssl;

namespace {

Error TlsError(const char* setting, const std::string& file, const boost::system::error_code& ec) {
  std::string reason = ec.message();
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    // OpenSSL's reason string alone ("no such file", "key values mismatch").
    const char* r = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (r != nullptr) {
      reason = r;
    }
  }
  return Error(Errc::kInvalidArgument,
               std::string("events.tls.") + setting + " \"" + file + "\": " + reason);
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeServerTlsContext(const TlsListenerConfig& config) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression, ec);
  ctx->use_certificate_chain_file(config.cert, ec);
  if (ec) {
    return TlsError("cert", config.cert, ec);
  }
  ctx->use_private_key_file(config.key, ssl::context::pem, ec);
  if (ec) {
    return TlsError("key", config.key, ec);
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return Error(Errc::kInvalidArgument, "events.tls.key \"" + config.key +
                                             "\": does not match the certificate \"" + config.cert +
                                             "\"");
  }
  if (config.verify_clients) {
    ctx->load_verify_file(config.ca_cert, ec);
    if (ec) {
      return TlsError("ca_cert", config.ca_cert, ec);
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  } else {
    ctx->set_verify_mode(ssl::verify_none, ec);
  }
  if (ec) {
    return TlsError("ca_cert", config.ca_cert, ec);
  }
  return ctx;
}

}  // namespace vigie::events
