# troupe::config's command line and config file (unit), and the option
# texts it is explained with (runtime/src/core/option_text, internal).
troupe_unit_test(test_config unit/core_config_test.cpp)
target_include_directories(test_config PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src)
