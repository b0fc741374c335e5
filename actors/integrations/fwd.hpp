#pragma once

// Forward declarations of the integrations subsystem (actors/integrations/).

namespace vigil::actors {

class integration_service;
class http_transport;
class circuit_breaker;
class token_bucket;
class integration_probe;
struct integration_health;
struct integration_stats;
struct probe_result;
struct http_request;
struct http_response;

} // namespace vigil::actors
