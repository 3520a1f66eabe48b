# Helper functions that make each vigie module one small target with a
# vigie:: alias and the shared warning flags (after Abseil's AbseilHelpers).
#
#   vigie_library(NAME dns_wire SRCS a.cc HDRS a.h DEPS vigie::core [PURE])
#   vigie_test(NAME dns_wire_test SRCS a_test.cc DEPS vigie::dns_wire [LABELS unit])
#   vigie_fuzz(NAME dns_wire_fuzz SRCS a_fuzz.cc CORPUS dir DEPS vigie::dns_wire)
#   vigie_bench(NAME dns_wire_bench SRCS a_bench.cc DEPS vigie::dns_wire)

set(VIGIE_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-qual -Wformat=2
  -Wimplicit-fallthrough -Wmissing-declarations -Wundef -Wvla
  # g++ 12 reports false -Wrestrict positives inside libstdc++ for plain
  # std::string concatenation at -O2 (GCC PR 105651).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
  # ...and false -Wmismatched-new-delete on Asio's coroutine frames (which
  # pair their own operator new and delete) at -O1 and above.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
if(VIGIE_WERROR)
  list(APPEND VIGIE_WARNINGS -Werror)
endif()

if(VIGIE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

function(_vigie_apply_flags target)
  target_compile_options(${target} PRIVATE ${VIGIE_WARNINGS})
  target_include_directories(${target} PUBLIC "${PROJECT_SOURCE_DIR}/src")
endfunction()

function(vigie_library)
  cmake_parse_arguments(V "PURE" "NAME" "SRCS;HDRS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(vigie_${V_NAME} STATIC ${V_SRCS} ${V_HDRS})
  add_library(vigie::${V_NAME} ALIAS vigie_${V_NAME})
  _vigie_apply_flags(vigie_${V_NAME})
  target_link_libraries(vigie_${V_NAME} PUBLIC ${V_DEPS} PRIVATE ${V_PRIVATE_DEPS})
  if(V_PURE)
    # Codecs stay pure: they may not reach Asio. Enforced by a define that
    # core/net.h refuses.
    target_compile_definitions(vigie_${V_NAME} PRIVATE VIGIE_PURE_CODEC=1)
  endif()
endfunction()

function(vigie_test)
  cmake_parse_arguments(V "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${V_NAME} ${V_SRCS})
  _vigie_apply_flags(${V_NAME})
  target_link_libraries(${V_NAME} PRIVATE ${V_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT V_LABELS)
    set(V_LABELS unit)
  endif()
  add_test(NAME ${V_NAME} COMMAND ${V_NAME})
  set_tests_properties(${V_NAME} PROPERTIES LABELS "${V_LABELS}" TIMEOUT 300)
endfunction()

# A fuzz target defines LLVMFuzzerTestOneInput. With VIGIE_FUZZ (clang) it
# links libFuzzer; otherwise it links a replay main that runs every file of
# its corpus, and the replay runs under ctest as a regression test.
function(vigie_fuzz)
  cmake_parse_arguments(V "" "NAME;CORPUS" "SRCS;DEPS" ${ARGN})
  add_executable(${V_NAME} ${V_SRCS})
  _vigie_apply_flags(${V_NAME})
  target_link_libraries(${V_NAME} PRIVATE ${V_DEPS})
  if(VIGIE_FUZZ)
    target_compile_options(${V_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_options(${V_NAME} PRIVATE -fsanitize=fuzzer)
  else()
    target_link_libraries(${V_NAME} PRIVATE vigie::fuzz_replay)
  endif()
  if(V_CORPUS)
    add_test(NAME ${V_NAME}_corpus
             COMMAND ${V_NAME} "${CMAKE_CURRENT_SOURCE_DIR}/${V_CORPUS}")
    set_tests_properties(${V_NAME}_corpus PROPERTIES LABELS "unit;fuzz" TIMEOUT 300)
  endif()
endfunction()

function(vigie_bench)
  cmake_parse_arguments(V "" "NAME" "SRCS;DEPS" ${ARGN})
  find_package(benchmark REQUIRED)
  add_executable(${V_NAME} ${V_SRCS})
  _vigie_apply_flags(${V_NAME})
  target_link_libraries(${V_NAME} PRIVATE ${V_DEPS} benchmark::benchmark benchmark::benchmark_main)
endfunction()
