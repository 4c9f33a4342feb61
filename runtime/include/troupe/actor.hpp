#pragma once
// The narrow header for code that only declares messages and behaviors:
// CAF's actor API (caf/all.hpp, without caf/io) plus troupe's atoms,
// errors, log, bounded mailboxes and shared payloads. It leaves out the
// node, the supervisor, rpc and the HTTP endpoint, and so compiles faster
// than troupe/troupe.hpp (figures in the README, "Writing actors"); a
// file that starts a system or a node includes troupe/troupe.hpp.

#include <caf/all.hpp>

#include "troupe/atoms.hpp"
#include "troupe/bounded_mailbox.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/shared_payload.hpp"
