#pragma once
// Everything a troupe user needs: CAF's actor API plus troupe's additions.

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "troupe/atoms.hpp"
#include "troupe/bounded_mailbox.hpp"
#include "troupe/child_spec.hpp"
#include "troupe/cluster_probe.hpp"
#include "troupe/config.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"
#include "troupe/http_endpoint.hpp"
#include "troupe/member.hpp"
#include "troupe/metrics.hpp"
#include "troupe/node.hpp"
#include "troupe/placement.hpp"
#include "troupe/rpc.hpp"
#include "troupe/shared_payload.hpp"
#include "troupe/supervisor.hpp"
#include "troupe/supervisor_spec.hpp"
#include "troupe/system.hpp"
