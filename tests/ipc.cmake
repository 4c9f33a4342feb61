# IPC styles: rpc, work queue, pub/sub, zero-copy sharing.
troupe_unit_test(test_ipc
  unit/ipc_rpc_test.cpp
  unit/ipc_bounded_mailbox_test.cpp
  unit/ipc_actor_header_test.cpp
  unit/ipc_rpc_actor_test.cpp
  unit/ipc_shared_test.cpp
  unit/ipc_work_queue_test.cpp
  unit/ipc_work_queue_recovery_test.cpp
  unit/ipc_job_log_test.cpp
  unit/ipc_pubsub_test.cpp
)
# It must see only its own includes (it checks that troupe/actor.hpp is
# self-contained).
set_source_files_properties(unit/ipc_actor_header_test.cpp PROPERTIES
  SKIP_UNITY_BUILD_INCLUSION ON)
if(TARGET troupe_actors)
  target_link_libraries(test_ipc PRIVATE troupe_actors)
  # Logs written by earlier versions (tests/data/job_log_v1.bin).
  target_compile_definitions(test_ipc PRIVATE
    TROUPE_TEST_DATA_DIR="${CMAKE_CURRENT_LIST_DIR}/data")
endif()
