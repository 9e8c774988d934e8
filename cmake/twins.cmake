# Python twins: a stage's deterministic demos redone in asyncio (stages/NN_name/python/). A twin passes
# when it prints exactly what the C++ demo prints with `--clock virtual --quiet --color never`: the
# event lines (no banner: --quiet prints results only), in the same order, with the same virtual times. So a test here fails
# whenever the C++ loop and asyncio schedule the same program differently (or a twin drifts from its
# demo).
#
# A stage takes part by having python/twins.txt: one line per twin, `demo file.py [extra arguments]`
# (# starts a comment). Seeded demos are listed twice with different seeds, so a twin cannot pass by
# matching one schedule by accident.
#
# Two roles in one file, as cmake/golden.cmake:
#   include(twins.cmake) from tests/CMakeLists.txt   registers the tests (needs python3, FindPython3)
#   cmake -DBIN=... -DDEMO=... -DPYTHON=... -DTWIN=file.py -DWORK=dir [-DARGS=...] -P twins.cmake
#                                                     runs both and compares them line by line

if(CMAKE_SCRIPT_MODE_FILE AND MODE STREQUAL "coverage")
  # Every demo the binary calls deterministic (its hidden --list-golden) must have a twin in TWINS.
  cmake_minimum_required(VERSION 3.25)
  execute_process(COMMAND ${BIN} --list-golden OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${BIN} --list-golden exited with ${rc}")
  endif()
  string(REPLACE "\n" ";" listed "${listed}")
  string(REPLACE "," ";" have "${TWINS}")
  set(missing "")
  foreach(demo IN LISTS listed)
    if(NOT demo STREQUAL "" AND NOT demo IN_LIST have)
      list(APPEND missing ${demo})
    endif()
  endforeach()
  if(missing)
    message(FATAL_ERROR "deterministic demos without a Python twin: ${missing} "
                        "(write the stage's python/<demo>.py and list it in python/twins.txt)")
  endif()
  return()
endif()

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.25)
  separate_arguments(extra UNIX_COMMAND "${ARGS}")
  execute_process(COMMAND ${BIN} ${DEMO} --clock virtual --quiet --color never ${extra}
                  OUTPUT_VARIABLE cpp ERROR_VARIABLE cpp_err RESULT_VARIABLE cpp_rc)
  if(NOT cpp_rc EQUAL 0)
    message(FATAL_ERROR "${BIN} ${DEMO} exited with ${cpp_rc}:\n${cpp_err}")
  endif()
  # -X dev would add asyncio's debug mode to every twin; the twins choose debug mode themselves
  # (selfish does), so they run as a student would run them.
  execute_process(COMMAND ${PYTHON} ${TWIN} ${extra}
                  OUTPUT_VARIABLE py ERROR_VARIABLE py_err RESULT_VARIABLE py_rc)
  if(NOT py_rc EQUAL 0)
    message(FATAL_ERROR "${PYTHON} ${TWIN} exited with ${py_rc}:\n${py_err}")
  endif()
  if(NOT cpp STREQUAL py)
    get_filename_component(twin_name ${TWIN} NAME_WE)
    string(STRIP "${DEMO} ${ARGS}" tag)
    string(MAKE_C_IDENTIFIER "${tag}" tag)
    set(cpp_file ${WORK}/twin_${tag}.cpp.txt)
    set(py_file ${WORK}/twin_${tag}.py.txt)
    file(WRITE ${cpp_file} "${cpp}")
    file(WRITE ${py_file} "${py}")
    # Unified diff: '-' lines are the C++ demo's, '+' lines the twin's.
    get_filename_component(bin_name ${BIN} NAME)
    execute_process(COMMAND diff -u --label "${bin_name} ${DEMO} (C++)" --label "${twin_name}.py (asyncio)"
                            ${cpp_file} ${py_file})
    message(FATAL_ERROR "the Python twin ${TWIN} and `${bin_name} ${DEMO}` print different events "
                        "(diff above: - C++, + Python; outputs kept in ${cpp_file} and ${py_file}). "
                        "Either the twin drifted from the demo, or the two loops schedule differently: "
                        "the stage's python/README.md lists the known deviations.")
  endif()
  if(NOT py_err STREQUAL "")
    message(FATAL_ERROR "${TWIN} wrote to stderr (the C++ demo did not):\n${py_err}")
  endif()
  return()
endif()

find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(WARNING "python3 not found: the Python twin tests (twins/*) are skipped. "
                  "`make deps` installs Debian's python3.")
  return()
endif()
if(Python3_VERSION VERSION_LESS 3.11)
  message(WARNING "python3 ${Python3_VERSION} is older than 3.11 (asyncio.Runner, Task.cancelling): "
                  "the Python twin tests (twins/*) are skipped.")
  return()
endif()

set(twin_script ${CMAKE_SOURCE_DIR}/cmake/twins.cmake)
get_property(twin_stages GLOBAL PROPERTY LOOPLAB_STAGES)
foreach(stage_entry IN LISTS twin_stages)
  string(REPLACE ":" ";" stage_parts "${stage_entry}")
  list(GET stage_parts 0 number)
  list(GET stage_parts 1 binary)
  list(GET stage_parts 2 stage_dir)
  set(twin_dir ${stage_dir}/python)
  if(NOT EXISTS ${twin_dir}/twins.txt)
    continue()
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${twin_dir}/twins.txt)
  file(STRINGS ${twin_dir}/twins.txt lines)
  set(twinned "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(line STREQUAL "" OR line MATCHES "^#")
      continue()
    endif()
    separate_arguments(words UNIX_COMMAND "${line}")
    list(POP_FRONT words demo file)
    list(APPEND twinned ${demo})
    string(JOIN " " args ${words})
    set(suffix "")
    if(NOT args STREQUAL "")
      set(suffix " ${args}")
    endif()
    add_test(NAME "twins/${number}_${demo}${suffix}"
             COMMAND ${CMAKE_COMMAND} -DBIN=$<TARGET_FILE:${binary}> -DDEMO=${demo}
                     -DPYTHON=${Python3_EXECUTABLE} -DTWIN=${twin_dir}/${file} -DARGS=${args}
                     -DWORK=${CMAKE_CURRENT_BINARY_DIR} -P ${twin_script})
  endforeach()
  # The shared module checks SplitMix64 against common_random.cpp's reference outputs, the clock
  # jump, FIFO ties, and that a loop with nothing to wait for fails instead of hanging.
  if(EXISTS ${twin_dir}/looplab.py)
    add_test(NAME "twins/${number}_looplab.py self-test" COMMAND ${Python3_EXECUTABLE} ${twin_dir}/looplab.py)
  endif()
  # A deterministic demo added to the stage without a twin fails here, not silently.
  list(REMOVE_DUPLICATES twinned)
  string(REPLACE ";" "," twinned "${twinned}")
  add_test(NAME "twins/${number} every deterministic demo has a twin"
           COMMAND ${CMAKE_COMMAND} -DMODE=coverage -DBIN=$<TARGET_FILE:${binary}> -DTWINS=${twinned}
                   -P ${twin_script})
endforeach()
