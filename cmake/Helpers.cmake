# wab_add_library(<layer> SOURCES ... DEPS ...): a static library wab_<layer>, include root src/.
function(wab_add_library layer)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(wab_${layer} STATIC ${ARG_SOURCES})
  # Sources generated into the build tree (embedded assets: one byte array each, nothing to share
  # with the rest) compile alone in a unity build (CMAKE_UNITY_BUILD, scripts/test.sh).
  foreach(src IN LISTS ARG_SOURCES)
    if(src MATCHES "^${CMAKE_BINARY_DIR}/")
      set_source_files_properties(${src} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
    endif()
  endforeach()
  target_include_directories(wab_${layer} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(wab_${layer} PUBLIC ${ARG_DEPS})
endfunction()

# wab_add_test(<name> SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary run by ctest.
function(wab_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  # tests/support/counting_new.cpp replaces the global operator new/delete: in a unity build it
  # still compiles alone, so no test code around it sees (and inlines) the replacement.
  foreach(src IN LISTS ARG_SOURCES)
    if(src MATCHES "support/counting_new\\.cpp$")
      set_source_files_properties(${src} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
    endif()
  endforeach()
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main GTest::gmock)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "unit;${ARG_LABELS}")
endfunction()

# wab_add_fuzzer(<name> SOURCE file DEPS ... [CORPUS seed_dir]): a libFuzzer target; ctest runs it
# for WAB_FUZZ_SECONDS. New inputs go to a scratch corpus in the build tree; seeds stay read-only.
set(WAB_FUZZ_SECONDS 10 CACHE STRING "Seconds each fuzz target runs under ctest")
function(wab_add_fuzzer name)
  cmake_parse_arguments(ARG "" "SOURCE;CORPUS" "DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCE})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set(scratch ${CMAKE_BINARY_DIR}/fuzz-corpus/${name})
  file(MAKE_DIRECTORY ${scratch})
  add_test(NAME ${name}
           COMMAND ${name} -max_total_time=${WAB_FUZZ_SECONDS} -rss_limit_mb=2048 -print_final_stats=1
                   ${scratch} ${ARG_CORPUS})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300 LABELS fuzz)
endfunction()
