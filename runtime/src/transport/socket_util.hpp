#pragma once
// Small socket helpers of the I/O thread (io_loop*.cpp).

#include <sys/socket.h>

#include <string>

namespace troupe::detail {

/// "HOST:PORT" of a socket address.
std::string describe(const sockaddr_storage& addr);

/// Why a connection to `address` failed (errno `err`), in words.
std::string connect_failure(const std::string& address, int err);

/// Per-connection socket options (TCP_NODELAY).
void tune(int fd);

} // namespace troupe::detail
