#pragma once
// The dashboard: one HTML page (plain HTML, JS and SVG, no library, works
// offline) served by every node's HTTP endpoint on `/`. It polls
// /api/cluster and every member's /api/node once a second and draws the
// members and their states, message rates and agent backlogs per node,
// restarts per supervisor, work-queue depth where a member has a queue,
// and the member events it saw. When the node that served it stops
// answering, it reads from another member it learned of (the endpoints
// allow cross-origin reads for that). `?api=URL,URL` names endpoints to
// try before the page's own origin (for a saved copy of the page, or one
// opened from a node that is gone). State for tests and scripts: the
// body's data-source (the endpoint it reads from) and data-up (members up),
// each row's data-member and data-state.

#include <string_view>

namespace troupe::observe {

/// The page, as served (text/html).
std::string_view dashboard_html();

} // namespace troupe::observe
