#pragma once

#include <string>

namespace vigil::bench {

/// One Alertmanager alert of about 600 bytes, as Alertmanager's webhook sends it; `i` makes
/// its labels unique.
std::string alertmanager_alert(int i);

/// A version-4 webhook body carrying `n` such alerts.
std::string alertmanager_webhook(int n, int first = 0);

/// A single `POST /api/events` alert object.
std::string single_event(int i);

} // namespace vigil::bench
