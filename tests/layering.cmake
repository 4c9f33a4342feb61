# The layering rule (README, Layout): a lower layer never includes a higher
# one, and nothing outside runtime/ includes runtime/src.
add_test(NAME layering COMMAND bash ${PROJECT_SOURCE_DIR}/.ci/check-layers)
